"""Every erasure path on either backend (SQLite and PostgreSQL): the erased value is in no table
(host update snapshots, receipts and the ledger hold none to begin with), the values kept are
still there, and on SQLite the erasing commit, and only it, asks for a scrub of the disk
(services/scrub.py; the bytes themselves: test_erasure_bytes.py and tests/e2e)."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.services.support import Lecture, World
from tests.services.test_notice_change import change, second_version
from widget_server.domain.models import Base


def tables_holding(world: World, value: str) -> list[str]:
    """The tables in which any row holds `value` anywhere (JSON columns included)."""
    found = []
    with world.db.read_session() as s:
        for table in Base.metadata.sorted_tables:
            if any(value in repr(tuple(row)) for row in s.execute(select(table))):
                found.append(table.name)
    return found


def asked_for_scrub(world: World) -> bool | None:
    """On SQLite, whether a scrub waits; None on PostgreSQL (nothing to scrub there)."""
    scrubber = world.db.scrubber
    if scrubber is None:
        assert world.db.url.startswith("postgresql")
        return None
    return scrubber.pending


def withdrawal(world: World, call: Lecture, pid: str) -> None:
    call.decide(pid, {"notes_email": "withdrawn"})


def objection(world: World, call: Lecture, pid: str) -> None:
    call.decide(pid, {"attendance": "objected", "recording": "withdrawn", "notes_email":
                      "withdrawn"})


def dropped_purpose(world: World, call: Lecture, pid: str) -> None:
    world.publish_version(call.org_id, call.notice["id"], second_version())
    change(world, call, 2)


def retention(world: World, call: Lecture, pid: str) -> None:
    ended_at = call.end()["call"]["ended_at"]
    assert world.purge(ended_at + timedelta(days=8)).values["email"] == 2


ERASING: dict[str, Callable[[World, Lecture, str], None]] = {
    "withdrawal": withdrawal, "objection": objection, "dropped_purpose": dropped_purpose,
    "retention": retention}


@pytest.mark.parametrize("erase", list(ERASING.values()), ids=list(ERASING))
def test_an_erased_value_is_in_no_table_and_asks_for_a_scrub(
        world: World, lecture: Lecture, erase: Callable[[World, Lecture, str], None]) -> None:
    ada = lecture.join("Erased Quillfeather")
    lecture.decide(ada, {"recording": "granted", "notes_email": "granted"},
                   fields={"email": "erased.quill@example.org"})
    bob = lecture.join("Kept Marrowby")
    lecture.decide(bob, {"notes_email": "granted"}, fields={"email": "kept.marrow@example.org"})
    assert tables_holding(world, "erased.quill@example.org") == ["participant"]
    assert not asked_for_scrub(world)  # joins and grants erase nothing: no checkpoint

    erase(world, lecture, ada)

    assert tables_holding(world, "erased.quill@example.org") == []
    assert tables_holding(world, "Kept Marrowby") == ["participant"]
    if erase is objection:
        assert tables_holding(world, "Erased Quillfeather") == []
    if erase in (withdrawal, objection):
        assert tables_holding(world, "kept.marrow@example.org") == ["participant"]
    assert asked_for_scrub(world) in (True, None)


def test_a_batch_that_erases_nothing_asks_for_no_scrub(world: World, lecture: Lecture) -> None:
    ada = lecture.join("Ada")
    lecture.decide(ada, {"recording": "granted"})
    lecture.decide(ada, {"recording": "withdrawn"})  # attendance still needs the name
    lecture.decide(ada, {"notes_email": "denied"})  # no email was held
    lecture.leave(ada)
    ended_at = lecture.end()["call"]["ended_at"]
    assert world.purge(ended_at + timedelta(days=1)).total == 0
    assert not asked_for_scrub(world)
