"""DESIGN §2 Retention and minimisation at the byte level: SQLite runs with secure_delete, so an
erased value leaves the database file (and its write-ahead log), not just the row.

These tests need a SQLite file, so they always make their own in tmp_path; on a PostgreSQL run
they still run, against that file.
"""

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.services.support import (
    CANARY_EMAIL,
    CANARY_NAME,
    Lecture,
    World,
    consent_name_notice,
    sqlite_file_database,
)
from widget_server.domain.errors import UnexpectedField

NAME = CANARY_NAME.encode()
EMAIL = CANARY_EMAIL.encode()


class FileWorld(World):
    def __init__(self, folder: Path) -> None:
        database, self.path = sqlite_file_database(folder)
        super().__init__(database)

    def file_bytes(self) -> bytes:
        """Everything on disk: the database after a full checkpoint, and whatever log is left."""
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            conn.close()
        assert busy == 0, "the checkpoint could not complete"
        data = b""
        for suffix in ("", "-wal", "-journal"):
            part = self.path.with_name(self.path.name + suffix)
            if part.exists():
                data += part.read_bytes()
        return data

    def holds(self) -> tuple[bool, bool]:
        data = self.file_bytes()
        return NAME in data, EMAIL in data


@pytest.fixture
def files(tmp_path: Path) -> Iterator[FileWorld]:
    world = FileWorld(tmp_path)
    yield world
    world.db.dispose()


def test_the_file_runs_with_secure_delete(files: FileWorld) -> None:
    with files.db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1


def test_purged_values_leave_the_file(files: FileWorld) -> None:
    call = Lecture(files)
    ada = call.join(CANARY_NAME)
    call.decide(ada, {"recording": "granted", "notes_email": "granted"},
                fields={"email": CANARY_EMAIL})
    for i in range(20):  # other rows on the same pages, as in a real lecture
        call.join(f"Student {i}")
    ended_at = call.end()["call"]["ended_at"]
    assert files.holds() == (True, True)  # the search finds what is there

    assert files.purge(ended_at + 8 * timedelta(days=1)).values["email"] == 1
    assert files.holds() == (True, False)

    assert files.purge(ended_at + 366 * timedelta(days=1)).values["display_name"] == 21
    assert files.holds() == (False, False)
    assert files.purge(ended_at + 366 * timedelta(days=1)).total == 0
    assert files.verify().ok


def test_a_withdrawn_email_leaves_the_file_at_once(files: FileWorld) -> None:
    call = Lecture(files)
    ada = call.join(CANARY_NAME)
    call.decide(ada, {"notes_email": "granted"}, fields={"email": CANARY_EMAIL})
    assert files.holds() == (True, True)
    call.decide(ada, {"notes_email": "withdrawn"})
    assert files.holds() == (True, False)  # the name stays: attendance needs it
    assert files.verify().ok


def test_a_withdrawn_consent_only_name_leaves_the_file_at_once(files: FileWorld) -> None:
    call = Lecture(files, consent_name_notice())
    ada = call.join(None)
    call.decide(ada, {"recording": "granted"}, fields={"display_name": CANARY_NAME})
    assert files.holds()[0]
    call.decide(ada, {"recording": "withdrawn"})
    assert not files.holds()[0]


def test_a_refused_request_leaves_no_trace_in_the_file(files: FileWorld) -> None:
    call = Lecture(files)
    with pytest.raises(UnexpectedField):
        files.join(call.call_id, {"display_name": CANARY_NAME, "email": CANARY_EMAIL})
    ada = call.join("Ada")
    with pytest.raises(UnexpectedField):
        call.decide(ada, {"notes_email": "denied"}, fields={"email": CANARY_EMAIL})
    with pytest.raises(UnexpectedField):
        call.decide(ada, {"recording": "granted"}, fields={"email": CANARY_EMAIL})
    assert files.holds() == (False, False)
