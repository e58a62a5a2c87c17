"""DESIGN §2 Retention and minimisation at the byte level: SQLite runs with secure_delete, and a
commit that erased a value asks for a scrub (a checkpoint truncating the write-ahead log), so an
erased value leaves the database file, its -wal and its -shm, not just the row.

The bytes are read as the server leaves them: the test never checkpoints itself; it runs the
scrub the erasing commit asked for (the server's scrub task runs the same within a second; the
end-to-end tests in tests/e2e/test_erasure_on_disk.py time that).

These tests need a SQLite file, so they always make their own in tmp_path; on a PostgreSQL run
they still run, against that file.
"""

import os
import sqlite3
import string
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.services.support import (
    CANARY_EMAIL,
    CANARY_NAME,
    Lecture,
    World,
    consent_name_notice,
    sqlite_file_database,
)
from widget_server.domain.errors import UnexpectedField
from widget_server.services.scrub import Scrubber

NAME = CANARY_NAME.encode()
EMAIL = CANARY_EMAIL.encode()


class FileWorld(World):
    def __init__(self, folder: Path) -> None:
        database, self.path = sqlite_file_database(folder)
        super().__init__(database)

    @property
    def scrubber(self) -> Scrubber:
        assert self.db.scrubber is not None
        return self.db.scrubber

    def file_bytes(self) -> bytes:
        """Everything on disk, as the server leaves it: once the scrub that erasing commits
        asked for has run (and no other checkpoint than that one)."""
        if self.scrubber.pending:
            assert self.scrubber.scrub(), "the scrub could not complete"
        data = b""
        for suffix in ("", "-wal", "-shm", "-journal"):
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


def test_only_a_commit_that_erased_asks_for_a_scrub(files: FileWorld) -> None:
    call = Lecture(files)
    ada = call.join(CANARY_NAME)
    call.decide(ada, {"recording": "granted", "notes_email": "granted"},
                fields={"email": CANARY_EMAIL})
    call.decide(ada, {"recording": "withdrawn"})  # the name stays: attendance needs it
    bob = call.join("Bob")
    call.decide(bob, {"notes_email": "denied"})  # nothing was held: nothing to erase
    assert not files.scrubber.pending  # no checkpoint on the hot path when nothing was erased
    call.decide(ada, {"notes_email": "withdrawn"})
    assert files.scrubber.pending
    assert files.holds() == (True, False)
    assert not files.scrubber.pending


def test_a_replaced_value_leaves_the_file(files: FileWorld) -> None:
    call = Lecture(files)
    ada = call.join("Ada")
    call.decide(ada, {"notes_email": "granted"}, fields={"email": CANARY_EMAIL})
    call.decide(ada, {"notes_email": "granted"}, fields={"email": "other@example.org"})
    assert files.holds() == (False, False)
    assert b"other@example.org" in files.file_bytes()


def test_an_objection_erases_the_name_from_the_file(files: FileWorld) -> None:
    call = Lecture(files)
    ada = call.join(CANARY_NAME)
    for i in range(5):
        call.join(f"Student {i}")
    call.decide(ada, {"attendance": "objected", "recording": "denied"})
    assert files.holds() == (False, False)
    assert b"Student 4" in files.file_bytes()


def test_the_scrub_leaves_an_empty_log(files: FileWorld) -> None:
    call = Lecture(files)
    ada = call.join("Ada")
    call.decide(ada, {"notes_email": "granted"}, fields={"email": CANARY_EMAIL})
    call.decide(ada, {"notes_email": "withdrawn"})
    files.file_bytes()
    assert os.path.getsize(f"{files.path}-wal") == 0


def test_a_closing_process_scrubs_what_it_erased(tmp_path: Path) -> None:
    """A one-off command (the purge CLI) has no scrub task: closing the database scrubs,
    also while a server keeps the file open (so SQLite's own last-close checkpoint does not
    happen)."""
    world = FileWorld(tmp_path)
    call = Lecture(world)
    ada = call.join("Ada")
    call.decide(ada, {"notes_email": "granted"}, fields={"email": CANARY_EMAIL})
    server = sqlite3.connect(world.path)
    try:
        server.execute("SELECT count(*) FROM participant").fetchone()
        call.decide(ada, {"notes_email": "withdrawn"})
        world.db.dispose()
        data = b"".join(p.read_bytes() for p in tmp_path.iterdir()
                        if p.name.startswith("bytes.db"))
        assert EMAIL not in data and b"Ada" in data
    finally:
        server.close()


# Names and addresses of any script, as participants type them (the edge refuses control
# characters and lone surrogates, so they are left out).
typed = st.text(st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1,
                max_size=40)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=typed, local=st.text(string.ascii_letters + string.digits + ".-_", min_size=1,
                                 max_size=20))
def test_any_erased_value_leaves_the_file(tmp_path: Path, name: str, local: str) -> None:
    # Random markers make each canary unique in the file, whatever text hypothesis chose, and
    # keep its ends free of the white space the edge strips.
    erased_name, kept_name = (f"{os.urandom(6).hex()}{name}{os.urandom(2).hex()}"
                              for _ in range(2))
    erased_email, kept_email = (f"{os.urandom(6).hex()}{local}{os.urandom(2).hex()}@example.org"
                                for _ in range(2))
    folder = tmp_path / os.urandom(6).hex()
    folder.mkdir()
    world = FileWorld(folder)
    try:
        call = Lecture(world)
        ada, bob = call.join(erased_name), call.join(kept_name)
        for pid, email in ((ada, erased_email), (bob, kept_email)):
            call.decide(pid, {"notes_email": "granted"}, fields={"email": email})
        call.decide(ada, {"notes_email": "withdrawn", "attendance": "objected"})
        data = world.file_bytes()
        assert kept_name.encode() in data and kept_email.encode() in data
        assert erased_name.encode() not in data and erased_email.encode() not in data
    finally:
        world.db.dispose()


def test_a_scrub_that_a_reader_holds_up_is_tried_again(files: FileWorld) -> None:
    call = Lecture(files)
    ada = call.join("Ada")
    call.decide(ada, {"notes_email": "granted"}, fields={"email": CANARY_EMAIL})
    reader = sqlite3.connect(files.path, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM participant").fetchone()  # an older snapshot
        call.decide(ada, {"notes_email": "withdrawn"})
        assert files.scrubber.scrub(busy_ms=50) is False
        assert files.scrubber.pending and files.scrubber.stats.busy == 1
        reader.execute("COMMIT")
    finally:
        reader.close()
    assert files.holds() == (False, False)
    assert not files.scrubber.pending
