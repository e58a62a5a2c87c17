"""DESIGN §2 The gate: recording only while someone is present and every present participant
has granted every purpose that gates recording."""

import pytest

from tests.conftest import lecture_notice
from tests.services.support import Lecture, World


def allowed(call: Lecture) -> bool:
    gate = call.gate()
    # The REST gate, the roster's gate and the call resource's gate must agree.
    assert gate["blocking"] == len(gate["blocking_participants"])  # one shape: a count
    assert call.roster()["gate"] == {"recording_allowed": gate["recording_allowed"],
                                     "blocking": gate["blocking"]}
    view = call.world.get_call(call.org_id, call.call_id)
    assert view["gate"] == call.roster()["gate"]
    return bool(gate["recording_allowed"])


def test_no_recording_with_nobody_present(lecture: Lecture) -> None:
    assert not allowed(lecture)
    assert lecture.gate() == {"recording_allowed": False, "blocking": 0,
                             "blocking_participants": [], "seq": 0}


def test_one_granted_participant_allows_recording(lecture: Lecture) -> None:
    pid = lecture.join()
    assert lecture.gate()["blocking_participants"] == [pid]
    update = lecture.decide(pid, {"recording": "granted"})["update"]
    assert update["gate"] == {"recording_allowed": True, "blocking": 0}
    assert allowed(lecture)
    assert lecture.gate()["blocking_participants"] == []


@pytest.mark.parametrize("path", [[], ["denied"], ["granted", "withdrawn"]],
                         ids=["pending", "denied", "withdrawn"])
def test_a_present_participant_who_has_not_granted_blocks(lecture: Lecture,
                                                          path: list[str]) -> None:
    ada, bob = lecture.join("Ada"), lecture.join("Bob")
    lecture.decide(ada, {"recording": "granted"})
    for state in path:
        lecture.decide(bob, {"recording": state})
    assert not allowed(lecture)
    assert lecture.gate()["blocking_participants"] == [bob]


def test_non_gating_purposes_do_not_block(lecture: Lecture) -> None:
    pid = lecture.join()
    lecture.decide(pid, {"recording": "granted", "notes_email": "denied",
                         "attendance": "objected"})
    assert allowed(lecture)


def test_every_gating_purpose_must_be_granted(world: World) -> None:
    content = lecture_notice()
    content["purposes"][1]["gates_recording"] = True  # notes_email now gates too
    call = Lecture(world, content)
    pid = call.join()
    call.decide(pid, {"recording": "granted"})
    assert not allowed(call)
    call.decide(pid, {"notes_email": "granted"}, fields={"email": "ada@example.org"})
    assert allowed(call)
    call.decide(pid, {"notes_email": "withdrawn"})
    assert not allowed(call)
    assert call.gate()["blocking_participants"] == [pid]


def test_a_participant_who_leaves_no_longer_blocks_and_keeps_their_choice(
        world: World, lecture: Lecture) -> None:
    ada, bob = lecture.join("Ada"), lecture.join("Bob")
    lecture.decide(ada, {"recording": "granted"})
    lecture.decide(bob, {"recording": "denied"})
    events = len(world.events(lecture.call_id))
    update = lecture.leave(bob)
    assert update is not None and update["kind"] == "left"
    assert update["gate"] == {"recording_allowed": True, "blocking": 0}
    assert allowed(lecture)
    # leaving is not withdrawing: the state and the ledger are as they were
    assert world.states(bob)["recording"] == "denied"
    assert len(world.events(lecture.call_id)) == events
    assert world.participant(bob).present is False


def test_a_granted_participant_leaving_does_not_withdraw_and_returns_granted(
        world: World, lecture: Lecture) -> None:
    joined = world.join(lecture.call_id, {"display_name": "Ada"})
    ada, resume = joined["participant"]["id"], joined["participant"]["resume"]
    lecture.decide(ada, {"recording": "granted"})
    lecture.leave(ada)
    assert world.states(ada)["recording"] == "granted"
    assert not allowed(lecture)  # nobody present
    world.join(lecture.call_id, None, resume=resume)
    assert allowed(lecture)


def test_a_blocking_participant_who_returns_blocks_again(world: World, lecture: Lecture) -> None:
    ada = lecture.join("Ada")
    lecture.decide(ada, {"recording": "granted"})
    joined = world.join(lecture.call_id, {"display_name": "Bob"})
    bob, resume = joined["participant"]["id"], joined["participant"]["resume"]
    lecture.leave(bob)
    assert allowed(lecture)
    world.join(lecture.call_id, None, resume=resume)
    assert not allowed(lecture)
    assert lecture.gate()["blocking_participants"] == [bob]


def test_the_gate_lists_every_blocking_participant_in_join_order(lecture: Lecture) -> None:
    people = [lecture.join(f"Person {i}") for i in range(5)]
    lecture.decide(people[1], {"recording": "granted"})
    lecture.decide(people[3], {"recording": "denied"})
    gate = lecture.gate()
    assert gate["blocking_participants"] == [people[0], people[2], people[3], people[4]]
    assert gate["seq"] == lecture.roster()["seq"] == 7  # 5 joins, 2 decisions


def test_a_second_connection_closing_does_not_make_a_participant_leave(
        world: World, lecture: Lecture) -> None:
    joined = world.join(lecture.call_id, {"display_name": "Ada"})
    ada, resume = joined["participant"]["id"], joined["participant"]["resume"]
    world.join(lecture.call_id, None, resume=resume)  # a second tab
    bob = lecture.join("Bob")
    lecture.decide(bob, {"recording": "granted"})
    assert lecture.leave(ada) is None  # one tab closed: still present
    assert not allowed(lecture) and lecture.gate()["blocking_participants"] == [ada]
    assert lecture.leave(ada) is not None
    assert allowed(lecture)
    assert lecture.leave(ada) is None  # a stray extra leave changes nothing
    assert allowed(lecture)


def test_after_the_call_ends_the_gate_is_closed(lecture: Lecture) -> None:
    pid = lecture.join()
    lecture.decide(pid, {"recording": "granted"})
    assert allowed(lecture)
    update = lecture.end()["update"]
    assert update["gate"]["recording_allowed"] is False
    assert not allowed(lecture)
    assert lecture.gate()["blocking_participants"] == []
    assert lecture.leave(pid) is None  # a late disconnect changes nothing
    assert not allowed(lecture)


def test_a_notice_without_gating_purposes_allows_recording_while_someone_is_present(
        world: World) -> None:
    content = lecture_notice()
    content["purposes"][0]["gates_recording"] = False
    call = Lecture(world, content)
    assert not allowed(call)
    pid = call.join()
    assert allowed(call)
    call.leave(pid)
    assert not allowed(call)
