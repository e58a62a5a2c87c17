"""Presence leases (CONTRACT §F, several processes): each join records the process holding the
connection; the participants of a process whose lease expired are found and marked away
through the live write path, with the gate recomputed and a `left` update for the hosts."""

from dataclasses import replace
from datetime import timedelta

from tests.services.support import Lecture, World
from widget_server.domain.ids import utcnow
from widget_server.domain.models import Participant, ProcessLease
from widget_server.services import leases, live
from widget_server.services.live.notices import notice_of_call
from widget_server.sockets import payloads

STALE = timedelta(seconds=leases.LEASE_SECONDS + 1)


def join_through(world: World, lecture: Lecture, process: str, name: str = "Ada",
                 resume: str | None = None) -> dict:
    with world.db.session() as s:
        seen = {"notice_hash": notice_of_call(s, lecture.call_id).content_hash}
        command = payloads.join_command(lecture.call_id, resume,
                                        {"fields": {"display_name": name}, "seen": seen})
        return world.run(s, replace(command, process=process))


def take(world: World, process: str, age: timedelta = timedelta(0)) -> None:
    with world.db.session() as s:
        leases.take(s, process, utcnow() - age)


def away_from(world: World, processes: list[str]) -> list[live.MarkAway]:
    with world.db.read_session() as s:
        return leases.held_by(s, processes)


def test_a_join_records_the_process_and_a_last_leave_clears_it(
        world: World, lecture: Lecture) -> None:
    take(world, "proc_a")
    pid = join_through(world, lecture, "proc_a")["participant"]["id"]
    assert world.participant(pid).process == "proc_a"
    lecture.leave(pid)
    assert world.participant(pid).process is None


def test_the_participants_of_a_dead_process_are_marked_away_and_the_gate_recomputed(
        world: World, lecture: Lecture) -> None:
    take(world, "proc_dead", age=STALE)
    take(world, "proc_live")
    blocker = join_through(world, lecture, "proc_dead", "Ada")["participant"]["id"]
    stays = join_through(world, lecture, "proc_live", "Bob")["participant"]["id"]
    lecture.decide(stays, {"recording": "granted"})
    assert lecture.gate()["recording_allowed"] is False  # Ada has not granted
    with world.db.read_session() as s:
        assert leases.dead(s, utcnow()) == ["proc_dead"]
    away = away_from(world, ["proc_dead"])
    assert away == [live.MarkAway(lecture.call_id, blocker, "proc_dead")]
    with world.db.session() as s:
        applied = live.apply(s, away)
    [update] = applied.updates[lecture.call_id]
    assert update["kind"] == "left" and update["participant"]["id"] == blocker
    assert update["gate"]["recording_allowed"] is True
    assert lecture.gate()["recording_allowed"] is True
    present = {p["id"] for p in lecture.roster()["participants"] if p["present"]}
    assert present == {stays}
    assert world.participant(blocker).connections == 0
    assert away_from(world, ["proc_dead"]) == []  # nothing left: the lease may go
    with world.db.session() as s:
        leases.forget(s, ["proc_dead"])
    assert world.count(ProcessLease) == 1


def test_someone_back_through_another_process_is_not_sent_away(
        world: World, lecture: Lecture) -> None:
    joined = join_through(world, lecture, "proc_a")["participant"]
    [away] = away_from(world, ["proc_a"])
    # Their client reconnected through process B before the sweep's command was applied.
    join_through(world, lecture, "proc_b", resume=joined["resume"])
    with world.db.session() as s:
        applied = live.apply(s, [away])
    assert applied.updates == {}
    row = world.participant(joined["id"])
    assert (row.present, row.process, row.connections) == (True, "proc_b", 2)


def test_a_participant_whose_process_has_no_lease_at_all_is_an_orphan(
        world: World, lecture: Lecture) -> None:
    take(world, "proc_live")
    join_through(world, lecture, "proc_live", "Ada")
    lost = join_through(world, lecture, "proc_gone", "Bob")["participant"]["id"]
    lecture.join("Cy")  # joined without a process (no connection of a serving process)
    with world.db.read_session() as s:
        orphans = leases.orphaned(s, utcnow())
    assert orphans == [live.MarkAway(lecture.call_id, lost, "proc_gone")]


def test_a_renewal_keeps_the_lease_fresh_and_takes_back_a_lost_one(world: World) -> None:
    take(world, "proc_a", age=STALE)
    with world.db.session() as s:
        assert leases.renew(s, "proc_a", utcnow()) is True
    with world.db.read_session() as s:
        assert leases.dead(s, utcnow()) == []
    with world.db.session() as s:
        leases.release(s, "proc_a")
        assert leases.renew(s, "proc_a", utcnow()) is False  # judged dead meanwhile
    assert world.count(ProcessLease) == 1


def test_a_stopping_process_finds_only_its_own_participants(
        world: World, lecture: Lecture) -> None:
    mine = join_through(world, lecture, "proc_me", "Ada")["participant"]["id"]
    join_through(world, lecture, "proc_other", "Bob")
    assert [c.participant_id for c in away_from(world, ["proc_me"])] == [mine]
    lecture.end()  # an ended call: nobody is present any more
    assert away_from(world, ["proc_me", "proc_other"]) == []
    assert world.count(Participant) == 2
