"""Whether the next write can commit: what /readyz reports.

`SELECT 1` only shows the database answers; a full disk answers that too while every write
fails. Neither does `BEGIN IMMEDIATE; ROLLBACK` (it writes nothing) or a tiny write alone: SQLite
reuses pages of its WAL and free list, so a small commit can succeed on a full disk while the
next real one, which needs new pages, fails. Two checks, then:

- a real commit: a row of PROBE_BYTES random bytes replaced in a scratch table (created on first
  use, outside the migrated schema: it holds nothing but noise), which appends that many bytes
  to SQLite's WAL or PostgreSQL's write-ahead log;
- for SQLite, room to grow: at least `min_free_bytes` free on the volume of the database file
  (and so of its WAL), checked with statvfs.
"""

import contextlib
import os
import secrets
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

PROBE_BYTES = 8 * 1024
SQLITE_LOCK_WAIT_MS = 2000  # a busy writer answers "not ready" after this, not after 30 s
_CREATE = ("CREATE TABLE IF NOT EXISTS readiness_probe "
           "(id INTEGER PRIMARY KEY, noise TEXT NOT NULL)")


def commit_problem(engine: Engine, min_free_bytes: int) -> str | None:
    """None if a write of PROBE_BYTES committed and there is room to grow; else what is wrong
    (a code: "disk_full", "cannot_commit")."""
    url = make_url(str(engine.url))
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            folder = Path(url.database).resolve().parent
            stats = os.statvfs(folder)
            if stats.f_bavail * stats.f_frsize < min_free_bytes:
                return "disk_full"
        return _sqlite_commit(engine)
    return _commit(engine)


def _noise() -> str:
    return secrets.token_hex(PROBE_BYTES // 2)


def _sqlite_commit(engine: Engine) -> str | None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_LOCK_WAIT_MS}")
        try:
            cursor.execute(_CREATE)
            cursor.execute("BEGIN IMMEDIATE")
            cursor.execute("INSERT OR REPLACE INTO readiness_probe (id, noise) VALUES (1, ?)",
                           (_noise(),))
            cursor.execute("COMMIT")
        except Exception as err:
            # Nothing may have begun, or the failure ended it already.
            with contextlib.suppress(Exception):
                cursor.execute("ROLLBACK")
            return "disk_full" if "full" in str(err).lower() else "cannot_commit"
        finally:
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
    finally:
        raw.close()
    return None


def _commit(engine: Engine) -> str | None:
    try:
        with engine.begin() as conn:
            conn.execute(text(_CREATE))
            conn.execute(text("INSERT INTO readiness_probe (id, noise) VALUES (1, :noise) "
                              "ON CONFLICT (id) DO UPDATE SET noise = excluded.noise"),
                         {"noise": _noise()})
    except Exception as err:
        return "disk_full" if "space" in str(err).lower() else "cannot_commit"
    return None
