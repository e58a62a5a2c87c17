"""DESIGN §2 Retention: each field is erased once every purpose that needed it has expired,
counted from the end of the call; the ledger keeps its proof."""

from datetime import datetime, timedelta

from sqlalchemy import select

from tests.services.support import CANARY_EMAIL, CANARY_NAME, Lecture, World
from widget_server.domain.models import Call, CallUpdate, DecisionEvent

DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)


def ended_lecture(world: World) -> tuple[Lecture, str, str, datetime]:
    """The lecture with two participants, one of whom wants the notes by email; ended. The
    other objects to attendance without granting recording: no purpose that still applies
    needs their name, so it is erased at once, long before retention would."""
    call = Lecture(world)
    ada = call.join(CANARY_NAME)
    call.decide(ada, {"recording": "granted", "notes_email": "granted"},
                fields={"email": CANARY_EMAIL})
    bob = call.join("Bob Babbage")
    call.decide(bob, {"notes_email": "denied", "attendance": "objected"})
    assert held(world, bob) == (None, None)
    ended_at = call.end()["call"]["ended_at"]
    assert ended_at is not None
    return call, ada, bob, ended_at


def held(world: World, pid: str) -> tuple[str | None, str | None]:
    row = world.participant(pid)
    return row.display_name, row.email


def test_each_field_lives_as_long_as_its_longest_purpose(world: World) -> None:
    _, ada, bob, ended_at = ended_lecture(world)

    early = world.purge(ended_at + 7 * DAY - SECOND)  # notes_email keeps the email 7 days
    assert early.total == 0
    assert held(world, ada) == (CANARY_NAME, CANARY_EMAIL)

    week = world.purge(ended_at + 7 * DAY)
    assert week.values["email"] == 1 and week.values["display_name"] == 0
    assert (week.calls, week.total) == (1, 1)
    assert held(world, ada) == (CANARY_NAME, None)

    # recording (30 days) no longer needs the name, attendance (365 days) still does
    month = world.purge(ended_at + 31 * DAY)
    assert month.total == 0
    assert held(world, ada) == (CANARY_NAME, None)
    assert world.purge(ended_at + 365 * DAY - SECOND).total == 0

    year = world.purge(ended_at + 365 * DAY)
    assert year.values == {"display_name": 1, "email": 0, "phone": 0}
    assert held(world, ada) == (None, None) and held(world, bob) == (None, None)


def test_at_eight_days_the_email_goes_and_the_name_stays(world: World) -> None:
    _, ada, bob, ended_at = ended_lecture(world)
    report = world.purge(ended_at + 8 * DAY)
    assert report.values["email"] == 1 and report.values["display_name"] == 0
    assert held(world, ada) == (CANARY_NAME, None)
    assert held(world, bob) == (None, None)  # erased when Bob objected
    later = world.purge(ended_at + 366 * DAY)
    assert later.values["display_name"] == 1
    assert held(world, ada) == (None, None)


def test_purging_is_idempotent(world: World) -> None:
    _, _, _, ended_at = ended_lecture(world)
    assert world.purge(ended_at + 366 * DAY).total == 2  # Ada's name and email
    again = world.purge(ended_at + 366 * DAY)
    assert (again.calls, again.total) == (0, 0)
    assert world.purge(ended_at + 3650 * DAY).total == 0


def test_the_report_holds_counts_never_values(world: World) -> None:
    _, _, _, ended_at = ended_lecture(world)
    report = world.purge(ended_at + 366 * DAY)
    assert all(isinstance(n, int) for n in report.values.values())
    assert set(report.values) == {"display_name", "email", "phone"}
    assert CANARY_NAME not in repr(report) and CANARY_EMAIL not in repr(report)


def test_the_ledger_keeps_its_proof_and_still_verifies(world: World) -> None:
    call, ada, _, ended_at = ended_lecture(world)
    before = world.decisions_page(call.call_id)["items"]
    updates = world.count(CallUpdate)
    world.purge(ended_at + 366 * DAY)
    assert world.decisions_page(call.call_id)["items"] == before
    assert world.count(CallUpdate) == updates
    assert world.verify().ok
    # the proof is still readable, pseudonymously
    assert world.states(ada)["notes_email"] == "granted"
    assert call.labels()[ada] == "Participant 1"


def test_an_open_call_is_never_purged(world: World) -> None:
    call = Lecture(world)
    ada = call.join(CANARY_NAME)
    call.decide(ada, {"notes_email": "granted"}, fields={"email": CANARY_EMAIL})
    report = world.purge(datetime.now().astimezone() + 5000 * DAY)
    assert report.total == 0
    assert held(world, ada) == (CANARY_NAME, CANARY_EMAIL)


def test_retention_counts_from_each_calls_own_end(world: World) -> None:
    _, ada, _, ended_at = ended_lecture(world)
    second, dee, _, _ = ended_lecture(world)
    with world.db.session() as s:  # the second call ended 30 days after the first
        row = s.scalar(select(Call).where(Call.id == second.call_id))
        assert row is not None
        row.ended_at = ended_at + 30 * DAY
        s.commit()
    report = world.purge(ended_at + 8 * DAY)
    assert (report.calls, report.values["email"]) == (1, 1)
    assert held(world, ada)[1] is None
    assert held(world, dee)[1] == CANARY_EMAIL
    assert world.purge(ended_at + 38 * DAY).values["email"] == 1
    assert held(world, dee)[1] is None
    # per lecture: two notice_served events and four choices
    assert world.count(DecisionEvent) == 12
