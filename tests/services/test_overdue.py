"""CONTRACT §C: a call open longer than WIDGET_SERVER_MAX_CALL_HOURS is ended by the server,
through the live write path (EndCall, as a host ending it), so that retention starts."""

from datetime import datetime, timedelta

import pytest

from tests.conftest import SECRET
from tests.services.support import CANARY_NAME, Lecture, World
from widget_server import settings
from widget_server.domain.ids import utcnow
from widget_server.services import calls, live, overdue

HOUR = timedelta(hours=1)


def due(world: World, hours: float, now: datetime) -> list[str]:
    with world.db.read_session() as s:
        return overdue.overdue_calls(s, hours, now)


def test_an_open_call_is_overdue_after_max_hours_and_ends_as_a_host_ends_it(
        world: World, lecture: Lecture) -> None:
    ada = lecture.join(CANARY_NAME)
    lecture.decide(ada, {"recording": "granted"})
    opened = world.get_call(lecture.org_id, lecture.call_id)["created_at"]
    assert due(world, 24, opened + 24 * HOUR - timedelta(seconds=1)) == []
    assert due(world, 24, opened + 24 * HOUR) == [lecture.call_id]
    assert due(world, 0.5, opened + 0.5 * HOUR) == [lecture.call_id]  # fractions of hours

    # What the server's maintenance pass hands to the committer: one EndCall per call.
    with world.db.session() as s:
        applied = live.apply(s, [live.EndCall(c) for c in due(world, 24, opened + 25 * HOUR)])
    assert applied.ended == [lecture.call_id]
    [update] = applied.updates[lecture.call_id]
    assert update["kind"] == "call_ended" and update["gate"]["recording_allowed"] is False
    call = world.get_call(lecture.org_id, lecture.call_id)
    assert call["status"] == "ended" and call["ended_at"] is not None
    assert lecture.roster()["participants"][0]["present"] is False
    # Retention now runs from this end; the ended call is overdue no more.
    assert due(world, 24, opened + 48 * HOUR) == []
    assert world.sign_checkpoints() == 1  # its final checkpoint, at the next pass
    assert world.verify().ok


def test_a_call_planned_for_later_counts_from_its_start(world: World, lecture: Lecture
                                                        ) -> None:
    starts = utcnow() + 48 * HOUR
    with world.db.session() as s:
        planned = calls.open_call(s, lecture.org_id, SECRET, title="Next week",
                                  notice_id=lecture.notice["id"], starts_at=starts)["id"]
    now = utcnow() + 30 * HOUR
    assert due(world, 24, now) == [lecture.call_id]  # the one opened now
    assert due(world, 24, starts + 24 * HOUR) == [lecture.call_id, planned]


def test_every_organisations_calls_are_ended_and_ended_ones_are_left_alone(world: World
                                                                           ) -> None:
    first, second = Lecture(world), Lecture(world)
    second.end()
    assert due(world, 1, utcnow() + 2 * HOUR) == [first.call_id]


@pytest.mark.parametrize(("value", "hours"), [(24, 24.0), (0.001, 0.001), ("0.5", 0.5),
                                              (8760, 8760.0)])
def test_max_call_hours_takes_whole_and_fractional_hours(value: object, hours: float) -> None:
    checked = {"MAX_CALL_HOURS": value}
    settings.check(checked, ["MAX_CALL_HOURS"])
    assert checked["MAX_CALL_HOURS"] == hours


@pytest.mark.parametrize("value", [0, -1, 8761, "abc", "", True, None, float("nan"),
                                   float("inf"), [24], "1e400"])
def test_a_bad_max_call_hours_stops_the_server_naming_the_variable(value: object) -> None:
    with pytest.raises(SystemExit, match="WIDGET_SERVER_MAX_CALL_HOURS must be a number"):
        settings.check({"MAX_CALL_HOURS": value}, ["MAX_CALL_HOURS"])
