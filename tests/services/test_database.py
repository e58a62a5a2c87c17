"""DESIGN §2 Durability: the SQLite settings a decision relies on before it is acknowledged, and
the integrity the database itself enforces (both backends)."""

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from tests.services.support import Lecture, World, sqlite_file_database
from widget_server.domain.models import DecisionEvent, Participant
from widget_server.services import live
from widget_server.services.database import Database

EVENT_ID = "00000000-0000-4000-8000-000000000001"


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[tuple[Database, Path]]:
    database, path = sqlite_file_database(tmp_path, "durable.db")
    yield database, path
    database.dispose()


def test_sqlite_runs_with_the_durable_settings(sqlite_db: tuple[Database, Path]) -> None:
    database, _ = sqlite_db
    with database.engine.connect() as conn:
        pragma = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                  for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout",
                               "secure_delete")}
    assert pragma == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1,
                      "busy_timeout": 30000, "secure_delete": 1}


def _other_writer_is_locked_out(path: Path) -> bool:
    other = sqlite3.connect(path, timeout=0.1, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as err:
        assert "locked" in str(err)
        return True
    else:
        other.execute("ROLLBACK")
        return False
    finally:
        other.close()


def test_a_writing_use_case_takes_the_write_lock_at_its_start(
        sqlite_db: tuple[Database, Path]) -> None:
    """BEGIN IMMEDIATE: a writer never fails half-way on a lock upgrade."""
    database, path = sqlite_db
    with database.session() as s:
        s.execute(text("SELECT 1"))  # a read, yet the transaction already holds the lock
        assert _other_writer_is_locked_out(path)
    assert not _other_writer_is_locked_out(path)


def test_a_reading_use_case_does_not_block_writers(sqlite_db: tuple[Database, Path]) -> None:
    database, path = sqlite_db
    with database.read_session() as s:
        s.execute(text("SELECT 1"))
        assert not _other_writer_is_locked_out(path)


def test_foreign_keys_are_enforced(world: World) -> None:
    now = datetime.now(UTC)
    with pytest.raises(IntegrityError), world.db.session() as s:
        s.add(Participant(id="p_orphan", call_id="call_missing", number=1, language="en",
                          channel="widget", resume_hash="x", connections=0, present=False,
                          gate_ok=False, joined_at=now, updated_at=now))
        s.commit()


def test_a_ledger_seq_cannot_be_taken_twice(world: World, lecture: Lecture) -> None:
    pid = lecture.join()
    lecture.decide(pid, {"recording": "granted"})
    served, first = world.events(lecture.call_id)
    assert (served.seq, first.seq) == (1, 2)
    with pytest.raises(IntegrityError), world.db.session() as s:
        s.add(DecisionEvent(call_id=lecture.call_id, seq=2, event_id="dup", participant_id=pid,
                            purpose="recording", state="denied", notice_version=1,
                            notice_hash=first.notice_hash, language="en", channel="widget",
                            recorded_at=first.recorded_at, prev_hash=first.hash, hash="x"))
        s.commit()
    assert len(world.events(lecture.call_id)) == 2


def test_a_failed_commit_records_nothing_and_answers_with_an_error(
        world: World, lecture: Lecture) -> None:
    """Nothing may be acknowledged (or broadcast) unless it was committed."""
    pid = lecture.join()
    before = world.footprint()

    def failing_commit() -> None:
        raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    with world.db.session() as s:
        s.commit = failing_commit  # type: ignore[method-assign]
        with pytest.raises(OperationalError):
            World.run(s, live.Decide(lecture.call_id, pid, EVENT_ID, {"recording": "granted"}))
    assert world.footprint() == before
    # the retry, once the database is back, is recorded as new
    assert lecture.decide(pid, {"recording": "granted"}, event_id=EVENT_ID)["update"] is not None
