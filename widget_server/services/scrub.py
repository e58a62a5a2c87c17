"""Erased means gone from the disk (DESIGN §2, CONTRACT §C): SQLite's side of it.

`secure_delete` zeroes what a transaction frees in the pages it writes, but in WAL mode the
write-ahead log still holds the page images from before: measured, 7–12 copies of an erased
email after withdrawal and purge, still there 14 minutes later. Only a checkpoint that
truncates the log removes them. Running one after every commit would cost the live path its
speed, so only a commit that erased something asks for one (`scrub_after_commit`), and the
server's scrub task runs it within a second, off the event loop, at most every MIN_INTERVAL
seconds however many erasures come in meanwhile.

On PostgreSQL none of this applies (see docs/erasure.md): every call here is a no-op there.
"""

import os
import sqlite3
import time
from dataclasses import dataclass

# How long one checkpoint may wait for readers to leave the log. While it waits it also holds
# off new writers (the live committer), so it gives up early and is tried again instead.
BUSY_MS = 200
# Checkpoints run at most this often: a burst of withdrawals costs one, not one each.
MIN_INTERVAL = 0.5
# A process closing (a one-off command, a server stopping) tries this long.
CLOSE_DEADLINE = 10.0


def truncate_wal(path: str, busy_ms: int = BUSY_MS) -> bool:
    """Copy every committed page into the database file and cut its -wal to zero bytes.

    True when it completed; False when a reader or writer kept it from completing within
    `busy_ms` (nothing is lost: try again). Uses a plain connection of its own, outside any
    transaction and any pool: it runs in OS threads and in a signal handler alike. While
    SQLite waits it sleeps in C, so no Python sleep (green or not) is involved."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        # Most pages are copied first without holding writers off; the truncating checkpoint,
        # which does hold them off, then has only the last few to copy.
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return int(busy) == 0
    finally:
        conn.close()


@dataclass
class ScrubStats:
    """Counts and times only, for the log and the tests."""

    scrubs: int = 0  # checkpoints that completed
    busy: int = 0  # checkpoints that readers or writers kept from completing
    slowest_ms: float = 0.0


class Scrubber:
    """Remembers that erased values wait to leave the disk, and removes them.

    `request` may be called from any thread (the live committer commits in an OS thread): it
    only stores a timestamp, so it needs no lock, green or not.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.requested_at: float | None = None  # the latest erasing commit
        self.covered_at = 0.0  # erasures committed before this moment are off the disk
        self.last_try = 0.0
        self.stats = ScrubStats()

    def request(self) -> None:
        self.requested_at = time.monotonic()

    @property
    def pending(self) -> bool:
        requested = self.requested_at
        return requested is not None and requested >= self.covered_at

    def due(self, now: float) -> bool:
        return self.pending and now - self.last_try >= MIN_INTERVAL

    def scrub(self, busy_ms: int = BUSY_MS) -> bool:
        """One checkpoint; True when every erasure requested before it began is off the disk."""
        started = time.monotonic()
        self.last_try = started
        done = truncate_wal(self.path, busy_ms)
        took = (time.monotonic() - started) * 1000
        self.stats.slowest_ms = max(self.stats.slowest_ms, took)
        if done:
            self.stats.scrubs += 1
            # A commit that asked before `started` had finished: this checkpoint took it in.
            self.covered_at = started
        else:
            self.stats.busy += 1
        return done

    def scrub_until_done(self, deadline: float = CLOSE_DEADLINE) -> bool:
        """Checkpoint until one completes (closing a process, stopping the server); each try
        waits up to a second inside SQLite."""
        end = time.monotonic() + deadline
        while not self.scrub(busy_ms=1000):
            if time.monotonic() >= end:
                return False
        return True


def scrub_for_exit(path: str, deadline: float = CLOSE_DEADLINE) -> sqlite3.Connection | None:
    """Leave the -wal empty for good, for a process about to end at once (os._exit).

    Truncates the log, then takes the write lock and checks that no write of this process
    (a batch already under way in another thread) slipped in since; if one did, again. The
    connection returned holds the write lock: keep it until the process ends, so nothing else
    of it can write. None when the deadline passed first."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if not truncate_wal(path, busy_ms=1000):
            continue
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=1000")
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # busy: a writer is still at work
            conn.close()
            continue
        if _wal_size(path) == 0:
            return conn
        conn.execute("ROLLBACK")
        conn.close()
    return None


def _wal_size(path: str) -> int:
    try:
        return os.path.getsize(path + "-wal")
    except FileNotFoundError:
        return 0
