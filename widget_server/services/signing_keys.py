"""The signing key file (CONTRACT §B): in the instance folder or WIDGET_SERVER_SIGNING_KEY_FILE,
never in the database, readable by its owner only.

A process re-reads the file when it changes, so a `widget-server rotate-signing-key` run beside
a serving process takes effect there at its next signature (and its JWKS lists the new key).
"""

import os
import threading
from pathlib import Path

from widget_server.domain.signing import KeyRing


class KeyStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._ring: KeyRing | None = None
        self._stamp: tuple[int, int] | None = None
        self._lock = threading.Lock()

    def ensure(self) -> KeyRing:
        """The key ring, made (mode 0600) if there is no key file yet."""
        if not self.path.exists():
            self._create(KeyRing.generate())
        return self.ring()

    def ring(self) -> KeyRing:
        """The key ring as the file holds it now."""
        stat = self.path.stat()
        stamp = (stat.st_mtime_ns, stat.st_ino)
        with self._lock:
            if self._ring is None or stamp != self._stamp:
                self._ring = KeyRing.from_file(self.path.read_text())
                self._stamp = stamp
            return self._ring

    def rotate(self) -> KeyRing:
        """A new key signs from now on; every earlier public key stays listed."""
        ring = self.ensure().rotated()
        temporary = self._write_temporary(ring)
        os.replace(temporary, self.path)  # atomic: a reader sees the old file or the new one
        return self.ring()

    def _create(self, ring: KeyRing) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self._write_temporary(ring)
        try:
            # A hard link creates the name only if it is free: two processes starting at once
            # keep one key between them, and nobody ever reads a half-written file.
            os.link(temporary, self.path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()

    def _write_temporary(self, ring: KeyRing) -> Path:
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(ring.to_file())
            handle.flush()
            os.fsync(handle.fileno())
        return temporary
