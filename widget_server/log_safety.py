"""What makes every log line safe to keep: nothing a client wrote survives, and floods are cut.

Our own events carry ids and codes only (see logs.py). Other code that logs (python-engineio,
python-socketio, eventlet, SQLAlchemy, Flask, and anything printing to stderr) writes text that
may hold what a client sent: a session id with a line break in it, a query string, an address.
Such text is reduced to its *template*: short lower-case words and small numbers are kept
("invalid session", "further occurrences of this error"); any other word (a name, an email, a
token, an address, an id) becomes "…". Tracebacks are reduced to the exception's type. Lines are
JSON, so a line break inside a value cannot start a forged line; and each value is cut.

Flood control: each kind of line has a token bucket (LOG_BURST lines, then LOG_RATE a second);
the lines over budget are counted and the count rides on the next line let through.
"""

import re
import threading
import time

MAX_TEXT = 160
LOG_RATE = 5.0
LOG_BURST = 50

_WORD = re.compile(r"^[a-z]{1,24}$|^\d{1,3}$")
_EDGE = "()[]{}<>\"'`.,:;!?="


def template(text: str) -> str:
    """`text` with every word that could carry client data replaced by '…', cut to MAX_TEXT."""
    kept: list[str] = []
    for raw in text.split():
        word = raw.strip(_EDGE)
        first = not kept and word[:1].isupper() and word[1:].islower() and word.isalpha()
        if word and (_WORD.match(word) or (first and len(word) <= 24)):
            kept.append(word)
        elif not kept or kept[-1] != "…":
            kept.append("…")
    return " ".join(kept)[:MAX_TEXT]


def exception_type(text: str) -> str | None:
    """The exception class named by the last line of a formatted traceback, if it is one."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if not lines or "Traceback (most recent call last)" not in text:
        return None
    name = lines[-1].split(":", 1)[0].strip()
    return name.rsplit(".", 1)[-1][:60] if re.match(r"^[\w.]+$", name) else "Exception"


class Budget:
    """Token buckets by kind of line; `allow` says whether to write and how many were dropped
    since the last line of that kind that was written."""

    def __init__(self, rate: float = LOG_RATE, burst: int = LOG_BURST) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, list[float]] = {}  # kind → [tokens, stamp, suppressed]
        self._lock = threading.Lock()

    def allow(self, kind: str) -> tuple[bool, int]:
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.get(kind)
            if bucket is None:
                if len(self._buckets) > 1000:  # kinds come from code, but stay bounded anyway
                    self._buckets.clear()
                bucket = self._buckets[kind] = [float(self.burst), now, 0]
            bucket[0] = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
            bucket[1] = now
            if bucket[0] < 1:
                bucket[2] += 1
                return False, 0
            bucket[0] -= 1
            dropped, bucket[2] = int(bucket[2]), 0
            return True, dropped
