"""Disk full → /readyz 503; room again → 200.

Before: /readyz ran `SELECT 1` and answered 200 while every write failed. The database lives on
a tmpfs of its own (mounting needs root; CI runs as root), filled with a filler file.
"""

import errno
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import lecture_notice
from tests.e2e.harness import Org, Server

SIZE_MB = 8


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE_MB}m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> Path:
    """Write a filler file until the volume is full (bounded by its size)."""
    filler = folder / "filler"
    chunk = b"\0" * 65536
    with open(filler, "wb") as handle:
        for _ in range(SIZE_MB * 16 + 16):
            try:
                handle.write(chunk)
                handle.flush()
            except OSError as err:
                assert err.errno == errno.ENOSPC
                break
    return filler


def ready(server: Server) -> tuple[int, dict]:
    answer = requests.get(f"{server.url}/readyz", timeout=5)
    return answer.status_code, answer.json()


@pytest.mark.parametrize("min_free", [1024 * 1024, 0])
def test_a_full_disk_makes_the_server_unready(small_disk: Path, min_free: int) -> None:
    # min_free 0: only the commit probe can tell (the free-space check is off).
    server = Server(small_disk, f"sqlite:///{small_disk / 'widget.db'}",
                    extra_env={"WIDGET_SERVER_READY_MIN_FREE_BYTES": str(min_free)})
    server.log_path = small_disk.parent / "server.log"  # the log must not fill the disk itself
    server.start()
    try:
        org = Org(server)
        assert ready(server) == (200, {"status": "ok", "database": "ok"})
        filler = fill(small_disk)
        status, body = ready(server)
        print(f"\nmin free {min_free}: disk full → /readyz {status} {body}")
        assert status == 503 and body["database"] == "disk_full"
        # It is not only the probe: a real write fails too.
        assert org.http.post(f"{server.url}/api/v1/notices",
                             json=lecture_notice(),
                             timeout=10).status_code >= 500
        os.remove(filler)
        deadline = time.monotonic() + 5
        while ready(server)[0] != 200:
            assert time.monotonic() < deadline, "the server did not become ready again"
            time.sleep(0.2)
    finally:
        server.stop()
