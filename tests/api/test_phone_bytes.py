"""Dial-in numbers at the byte level (CONTRACT §E, DESIGN §2 "Erased means gone"): a search of
the SQLite files finds no full number while no purpose needs `phone`, and finds it while one
does, until it is withdrawn, objected to or purged.

These tests need a SQLite file, so they always make their own in tmp_path."""

import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from tests.api.conftest import Api, make_app, new_org
from tests.api.test_phone import Bridge, open_call
from tests.phone_support import phone_notice
from widget_server.services import retention

# Numbers of their own, so that nothing else in the files can hold these digits.
NUMBERS = [f"+44 20 7946 {i:04d}" for i in range(3100, 3110)]
DIGITS = [n.replace(" ", "")[1:].encode() for n in NUMBERS]  # "442079463100": E.164 minus "+"


@pytest.fixture
def files(tmp_path: Path) -> Iterator[tuple[Flask, Path]]:
    path = tmp_path / "phone.db"
    app = make_app(f"sqlite:///{path}", tmp_path)
    yield app, path
    app.extensions["widget_db"].dispose()


def on_disk(path: Path) -> bytes:
    """The database file, its write-ahead log and its shared memory, as they are (no
    checkpoint first)."""
    return b"".join(part.read_bytes() for part in (path, path.with_name(path.name + "-wal"),
                                                    path.with_name(path.name + "-shm"))
                    if part.exists())


def after_checkpoint(path: Path) -> bytes:
    """The database file once the log is folded into it and truncated."""
    with sqlite3.connect(path, isolation_level=None) as conn:
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert busy == 0
    return on_disk(path)


def found(data: bytes) -> list[bool]:
    return [digits in data for digits in DIGITS]


def bridge_of(app: Flask, basis: str | None) -> Bridge:
    api = Api(app.test_client(), new_org(app)[1])
    return Bridge(api, open_call(api, phone_notice(phone_basis=basis)))


def test_no_full_number_when_no_purpose_needs_phone(files: tuple[Flask, Path]) -> None:
    app, path = files
    bridge = bridge_of(app, None)
    for number in NUMBERS:
        pid = bridge.joined(number)["id"]
        bridge.press(pid, "purpose.recording", "1", caller=number)  # offered, not taken
        bridge.hang_up(pid)
    assert found(on_disk(path)) == [False] * len(NUMBERS)
    assert b"Phone \xe2\x80\xa2\xe2\x80\xa200" in on_disk(path)  # the label is there


def test_a_number_a_legitimate_interest_needs_is_there_until_the_objection(
        files: tuple[Flask, Path]) -> None:
    app, path = files
    bridge = bridge_of(app, "legitimate_interests")
    pids = [bridge.joined(number)["id"] for number in NUMBERS[:3]]
    assert found(on_disk(path))[:3] == [True] * 3
    bridge.press(pids[1], "purpose.callback", "9")
    # The row no longer holds it; the log keeps old page images until the checkpoint that
    # follows an erasure (DESIGN §2), so the file is searched after one.
    assert found(after_checkpoint(path))[:3] == [True, False, True]


def test_a_number_a_consent_needs_is_there_from_the_grant_to_the_withdrawal_or_purge(
        files: tuple[Flask, Path]) -> None:
    app, path = files
    bridge = bridge_of(app, "consent")
    ada, bob = (bridge.joined(n)["id"] for n in NUMBERS[:2])
    assert found(on_disk(path))[:2] == [False, False]  # asked with the grant, not at join
    bridge.press(ada, "purpose.callback", "1", caller=NUMBERS[0])
    bridge.press(bob, "purpose.callback", "1", caller=NUMBERS[1])
    assert found(on_disk(path))[:2] == [True, True]
    bridge.press(ada, "purpose.callback", "2", caller=NUMBERS[0])  # withdrawn
    assert found(after_checkpoint(path))[:2] == [False, True]
    ended = bridge.client.post(f"/api/v1/calls/{bridge.call['id']}/end",
                               headers={"Authorization": "Bearer " + _api_key(bridge)})
    assert ended.status_code == 200
    ended_at = datetime.fromisoformat(ended.get_json()["ended_at"])
    with app.extensions["widget_db"].session() as session:
        report = retention.purge(session, now=ended_at + timedelta(days=8))
    assert report.values["phone"] == 1
    assert found(after_checkpoint(path))[:2] == [False, False]


def _api_key(bridge: Bridge) -> str:
    return str(bridge.api_key)
