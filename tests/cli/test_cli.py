"""The operator's commands, run as a user runs them: a separate process on a real database."""

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import PG_URL, SECRET, fresh_database, lecture_notice
from tests.services.support import World
from widget_server import migrate
from widget_server.domain.ids import utcnow
from widget_server.services import calls, notices
from widget_server.services.database import Database
from widget_server.services.signing_keys import KeyStore

CANARY_NAME = "Zebulon Quincewhistle"
CANARY_EMAIL = "canary.zq@example.org"


class Cli:
    def __init__(self, folder: Path, url: str) -> None:
        self.url = url
        self.env = {"PATH": "/usr/bin:/bin", "WIDGET_SERVER_DATABASE_URL": url,
                    "WIDGET_SERVER_INSTANCE_PATH": str(folder / "instance"),
                    "WIDGET_SERVER_SECRET_KEY": SECRET}
        self.folder = folder

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "widget_server.entry", *args],
                              env=self.env, cwd=self.folder, capture_output=True, text=True,
                              timeout=60, check=False)


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Cli]:
    with fresh_database(tmp_path) as url:
        runner = Cli(tmp_path, url)
        assert runner("db", "upgrade").returncode == 0
        yield runner


def populate(url: str) -> dict[str, Any]:
    """An organisation made by the CLI's own database, a call with two participants, a ledger
    of 8 events: per participant, notice_served (join), recording and notes_email granted,
    recording withdrawn."""
    db = Database(url)
    from widget_server.services import organisations

    with db.session() as s:
        org, _ = organisations.create_organisation(s, "Org", ["https://meet.example.org"])
    with db.session() as s:
        notice = notices.publish_notice(s, org, lecture_notice())
    with db.session() as s:
        call = calls.open_call(s, org, SECRET, title="T", notice_id=notice["id"])
    people = []
    live = World(db)  # joins and decisions as the socket edge makes them
    for name, email in ((CANARY_NAME, CANARY_EMAIL), ("Other Person", "other@example.org")):
        pid = live.join(call["id"], {"display_name": name}, language="en")["participant"]["id"]
        live.decide(call["id"], pid, {"recording": "granted", "notes_email": "granted"},
                    fields={"email": email})
        live.decide(call["id"], pid, {"recording": "withdrawn"})
        people.append(pid)
    db.dispose()
    return {"org": org, "call": call["id"], "people": people}


def sql(url: str, statement: str) -> None:
    db = Database(url)
    with db.engine.begin() as conn:
        for part in statement.split(";"):
            conn.execute(text(part))
    db.dispose()


def test_create_org_prints_one_json_object_and_refuses_bad_origins(cli: Cli) -> None:
    made = cli("create-org", "Example University", "--origin", "https://meet.example.edu",
               "--json")
    assert made.returncode == 0, made.stderr
    answer = json.loads(made.stdout)
    assert set(answer) == {"organisation_id", "api_key"}
    assert answer["api_key"].startswith("wsk_")
    bad = cli("create-org", "X", "--origin", "https://meet.example.edu/path")
    assert bad.returncode == 2 and "not an origin" in bad.stderr
    assert answer["api_key"] not in cli("verify-ledger").stdout


def test_verify_ledger_passes_an_intact_ledger(cli: Cli) -> None:
    world = populate(cli.url)
    result = cli("verify-ledger")
    assert result.returncode == 0, result.stderr
    assert "8 events in 1 calls" in result.stdout
    assert cli("verify-ledger", "--call", world["call"]).returncode == 0


@pytest.mark.parametrize(("tamper", "bad_seq"), [
    ("UPDATE decision_event SET state = 'granted' WHERE seq = 4", 4),  # an edit
    ("DELETE FROM decision_event WHERE seq = 2", 2),  # a deletion in the middle
    ("DELETE FROM decision_event WHERE seq = 8", 8),  # the newest event removed
    ("UPDATE decision_event SET seq = -1 WHERE seq = 4; "
     "UPDATE decision_event SET seq = 4 WHERE seq = 5; "
     "UPDATE decision_event SET seq = 5 WHERE seq = -1", 4),  # two events swapped
    ("UPDATE decision_event SET recorded_at = recorded_at + interval '1 second' WHERE seq = 1"
     if PG_URL else
     "UPDATE decision_event SET recorded_at = '2020-01-01 00:00:00.000000' WHERE seq = 1", 1),
])
def test_verify_ledger_names_the_first_altered_event(cli: Cli, tamper: str, bad_seq: int
                                                     ) -> None:
    world = populate(cli.url)
    sql(cli.url, tamper)
    result = cli("verify-ledger")
    assert result.returncode == 1
    assert f"call {world['call']}, event seq {bad_seq}" in result.stderr, result.stderr


def embedded(url: str) -> None:
    database = Database(url)
    migrate.upgrade(database)
    database.dispose()  # no connection of this process may stay open on the file


def file_bytes(path: Path) -> bytes:
    """The SQLite database, its -wal and its -shm as they are (no checkpoint of the test's)."""
    parts = (path.with_name(path.name + suffix) for suffix in ("", "-wal", "-shm"))
    return b"".join(part.read_bytes() for part in parts if part.exists())


@pytest.fixture
def server_connection(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """A connection held open on widget.db, as a running server holds it: so that closing the
    commands' own connections does not checkpoint and delete the -wal for them."""
    conn = sqlite3.connect(tmp_path / "widget.db")
    yield conn
    conn.close()


def move_end_back(url: str, call_id: str, days: int, instance: Path) -> None:
    """End the call as the server does (its final checkpoint signed with the instance's key),
    then move the clock past retention: the call ended `days` ago."""
    db = Database(url)
    with db.session() as s:
        org = s.execute(text("SELECT organisation_id FROM call WHERE id = :c"),
                        {"c": call_id}).scalar_one()
        calls.end_call(s, org, call_id, KeyStore(instance / "signing_key.json").ensure())
    db.dispose()
    ended = (utcnow() - timedelta(days=days)).replace(tzinfo=None)
    sql(url, f"UPDATE call SET ended_at = '{ended.isoformat(' ')}' WHERE id = '{call_id}'")


def test_purge_erases_exactly_the_expired_data_and_leaves_no_bytes_behind(
        tmp_path: Path, server_connection: sqlite3.Connection) -> None:
    # The byte search needs the embedded SQLite file, so this test always uses one.
    url = f"sqlite:///{tmp_path / 'widget.db'}"
    embedded(url)
    server_connection.execute("SELECT count(*) FROM call").fetchone()
    cli = Cli(tmp_path, url)
    world = populate(url)
    db_file = tmp_path / "widget.db"
    # Withdrawing recording kept the email (notes_email still granted) and the name.
    assert CANARY_EMAIL.encode() in file_bytes(db_file)
    assert CANARY_NAME.encode() in file_bytes(db_file)

    move_end_back(url, world["call"], days=8, instance=tmp_path / "instance")  # past notes_email (7 d), not attendance (365 d)
    first = cli("purge")
    assert first.returncode == 0, first.stderr
    assert "Purged 2 values from 1 calls" in first.stdout
    assert "email: 2" in first.stdout and "display_name: 0" in first.stdout
    assert CANARY_EMAIL.encode() not in file_bytes(db_file)
    assert CANARY_NAME.encode() in file_bytes(db_file)  # attendance still needs the name
    assert cli("purge").stdout.startswith("Purged 0 values")

    move_end_back(url, world["call"], days=366, instance=tmp_path / "instance")
    assert "display_name: 2" in cli("purge").stdout
    assert CANARY_NAME.encode() not in file_bytes(db_file)
    assert cli("purge").stdout.startswith("Purged 0 values")
    assert cli("verify-ledger").returncode == 0
    assert CANARY_NAME not in first.stdout + first.stderr


def test_withdrawing_the_only_grant_that_needed_the_email_erases_it_at_once(
        tmp_path: Path, server_connection: sqlite3.Connection) -> None:
    url = f"sqlite:///{tmp_path / 'widget.db'}"
    embedded(url)
    server_connection.execute("SELECT count(*) FROM call").fetchone()
    world = populate(url)
    assert CANARY_EMAIL.encode() in file_bytes(tmp_path / "widget.db")
    db = Database(url)
    World(db).decide(world["call"], world["people"][0], {"notes_email": "withdrawn"})
    db.dispose()
    data = file_bytes(tmp_path / "widget.db")
    assert CANARY_EMAIL.encode() not in data
    assert b"other@example.org" in data  # the other participant's grant stands
