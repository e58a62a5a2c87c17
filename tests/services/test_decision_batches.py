"""DESIGN §5 group commit, under the rules of DESIGN §2: a batch of joins, decisions and leaves
committed at once must leave exactly what the same requests one at a time would."""

from typing import Any

import pytest

from tests.services.support import CANARY_EMAIL, Lecture, World, new_event_id
from widget_server.domain.errors import (
    CallEnded,
    DomainError,
    InvalidState,
    MissingField,
    NotFound,
    UnexpectedField,
    UnknownPurpose,
    ValidationFailed,
)
from widget_server.domain.models import DecisionEvent, Receipt
from widget_server.services import decisions, group_commit
from widget_server.services.decisions import DecisionRequest
from widget_server.services.presence_batch import JoinRequest, LeaveRequest


def decide_many(world: World, requests: list[DecisionRequest]) -> list[Any]:
    with world.db.session() as s:
        return decisions.decide_many(s, requests)


def req(call: Lecture | str, pid: str, choices: Any, fields: Any = None,
        event_id: Any = None) -> DecisionRequest:
    call_id = call if isinstance(call, str) else call.call_id
    return DecisionRequest(call_id, pid, new_event_id() if event_id is None else event_id,
                           choices, fields)


def test_a_batch_applies_each_decision_in_order_and_refuses_each_bad_one_alone(
        world: World, lecture: Lecture) -> None:
    ada, bob = lecture.join("Ada"), lecture.join("Bob")
    outcomes = decide_many(world, [
        req(lecture, ada, {"recording": "granted"}),
        req(lecture, bob, {"service": "granted"}),                      # refused
        req(lecture, ada, {"recording": "withdrawn"}),
        req(lecture, bob, {"notes_email": "granted"}),                  # refused: no email
        req(lecture, bob, {"transcript": "granted"}),                   # refused
        req(lecture, bob, {"recording": "denied"}, fields={"email": CANARY_EMAIL}),  # refused
        req(lecture, ada, {"recording": "granted"}),
        req(lecture, bob, {"recording": "granted"}, event_id=""),       # refused
        req(lecture, "p_nobody", {"recording": "granted"}),             # refused
    ])
    kinds = [type(o) if isinstance(o, DomainError) else dict for o in outcomes]
    assert kinds == [dict, InvalidState, dict, MissingField, UnknownPurpose, UnexpectedField,
                     dict, ValidationFailed, NotFound]
    recorded = [o for o in outcomes if isinstance(o, dict)]
    assert [o["receipt"]["seq"] for o in recorded] == [1, 2, 3]
    assert [o["update"]["seq"] for o in recorded] == [3, 4, 5]  # after two joins
    assert [o["state"]["recording"] for o in recorded] == ["granted", "withdrawn", "granted"]
    events = world.events(lecture.call_id)
    assert [(e.seq, e.participant_id, e.state) for e in events] == [
        (1, ada, "granted"), (2, ada, "withdrawn"), (3, ada, "granted")]
    assert [o["receipt"]["hash"] for o in recorded] == [e.hash for e in events]
    assert world.states(bob)["recording"] == "pending"
    assert world.participant(bob).email is None
    assert lecture.gate()["blocking"] == [bob]
    assert world.verify().ok
    assert world.updates_since(lecture.call_id, 2)["updates"] == [o["update"] for o in recorded]


def test_a_batch_of_one_participant_ends_in_the_last_state_sent(world: World,
                                                                lecture: Lecture) -> None:
    pid = lecture.join()
    plan = ["granted", "withdrawn", "granted", "denied", "granted"]
    outcomes = decide_many(world, [req(lecture, pid, {"recording": s}) for s in plan])
    assert [o["state"]["recording"] for o in outcomes] == plan
    assert world.states(pid)["recording"] == "granted"
    assert lecture.roster()["summary"]["purposes"]["recording"] == {"granted": 1}
    assert lecture.gate()["recording_allowed"]


def test_an_email_granted_and_withdrawn_in_one_batch_is_not_kept(world: World,
                                                                 lecture: Lecture) -> None:
    pid = lecture.join()
    outcomes = decide_many(world, [
        req(lecture, pid, {"notes_email": "granted"}, fields={"email": CANARY_EMAIL}),
        req(lecture, pid, {"notes_email": "withdrawn"}),
    ])
    assert all(isinstance(o, dict) for o in outcomes)
    assert world.participant(pid).email is None
    outcomes = decide_many(world, [
        req(lecture, pid, {"notes_email": "granted"}, fields={"email": CANARY_EMAIL}),
        req(lecture, pid, {"recording": "granted"}),  # the email stays: notes_email granted
    ])
    assert world.participant(pid).email == CANARY_EMAIL


def test_a_repeated_event_id_in_one_batch_is_recorded_once(world: World,
                                                           lecture: Lecture) -> None:
    pid = lecture.join()
    outcomes = decide_many(world, [
        req(lecture, pid, {"recording": "granted"}, event_id="evt-1"),
        req(lecture, pid, {"recording": "denied"}, event_id="evt-1"),
    ])
    assert outcomes[0]["receipt"] == outcomes[1]["receipt"]
    assert outcomes[1]["update"] is None
    assert world.count(DecisionEvent) == 1 and world.count(Receipt) == 1
    assert world.states(pid)["recording"] == "granted"
    # and a later single retry gets the same receipt
    again = lecture.decide(pid, {"recording": "granted"}, event_id="evt-1")
    assert again["receipt"] == outcomes[0]["receipt"]


def test_a_batch_spanning_calls_keeps_each_sequence_its_own(world: World,
                                                            lecture: Lecture) -> None:
    other = Lecture(world)
    ada, bob = lecture.join("Ada"), other.join("Bob")
    outcomes = decide_many(world, [
        req(lecture, ada, {"recording": "granted"}),
        req(other, bob, {"recording": "granted"}),
        req(lecture, ada, {"attendance": "objected"}),
        req(other, ada, {"recording": "denied"}),                       # not of that call
        req(other, bob, {"recording": "withdrawn", "attendance": "objected"}),
    ])
    assert isinstance(outcomes[3], NotFound)
    assert [e.seq for e in world.events(lecture.call_id)] == [1, 2]
    assert [e.seq for e in world.events(other.call_id)] == [1, 2, 3]
    assert outcomes[4]["receipt"]["seq"] == 3
    assert world.verify().ok


def test_a_batch_on_an_ended_or_unknown_call_records_nothing(world: World,
                                                             lecture: Lecture) -> None:
    pid = lecture.join()
    lecture.end()
    before = world.footprint()
    outcomes = decide_many(world, [req(lecture, pid, {"recording": "granted"}),
                                   req("call_missing", pid, {"recording": "granted"})])
    assert isinstance(outcomes[0], CallEnded)
    assert isinstance(outcomes[1], NotFound)
    assert world.footprint() == before


@pytest.mark.parametrize("size", [1, 25])
def test_a_batch_leaves_what_single_decisions_leave(world: World, size: int) -> None:
    """The same decisions, batched in one call and one at a time in another, end alike."""
    batched, single = Lecture(world), Lecture(world)
    people = {c.call_id: [c.join(f"P{i}") for i in range(5)] for c in (batched, single)}
    plan = [(i % 5, {"recording": ["granted", "denied", "withdrawn"][i % 3]}) for i in range(25)]
    outcomes_single = []
    for who, choices in plan:
        try:
            outcomes_single.append(single.decide(people[single.call_id][who], choices))
        except DomainError as err:
            outcomes_single.append(err)
    outcomes_batched: list[Any] = []
    requests = [req(batched, people[batched.call_id][who], choices) for who, choices in plan]
    for start in range(0, len(requests), size):
        outcomes_batched += decide_many(world, requests[start:start + size])
    assert [type(o) for o in outcomes_batched] == [type(o) for o in outcomes_single]
    shape = [(p["label"], p["present"], p["state"]) for p in batched.roster()["participants"]]
    assert shape == [(p["label"], p["present"], p["state"])
                     for p in single.roster()["participants"]]
    assert batched.roster()["summary"] == single.roster()["summary"]
    def blocking_positions(call: Lecture) -> list[int]:
        return [people[call.call_id].index(pid) for pid in call.gate()["blocking"]]

    assert blocking_positions(batched) == blocking_positions(single)
    assert [(e.seq, e.state) for e in world.events(batched.call_id)] == [
        (e.seq, e.state) for e in world.events(single.call_id)]
    assert world.verify().ok


def apply(world: World, requests: list[Any]) -> list[Any]:
    with world.db.session() as s:
        return group_commit.apply(s, requests)


def test_joins_in_one_batch_are_numbered_without_gaps_and_refusals_store_nothing(
        world: World, lecture: Lecture) -> None:
    outcomes = apply(world, [
        JoinRequest(lecture.call_id, {"display_name": "Ada"}, "de"),
        JoinRequest(lecture.call_id, {"display_name": "Eve", "email": CANARY_EMAIL}, "en"),
        JoinRequest(lecture.call_id, {}, "en"),
        JoinRequest(lecture.call_id, {"display_name": "Bob"}, "fr"),
        JoinRequest("call_missing", {"display_name": "Cy"}, "en"),
    ])
    assert [type(o) if isinstance(o, DomainError) else dict for o in outcomes] == [
        dict, UnexpectedField, MissingField, dict, NotFound]
    ada, bob = outcomes[0], outcomes[3]
    assert (ada["notice"]["language"], bob["notice"]["language"]) == ("de", "en")
    assert [ada["update"]["seq"], bob["update"]["seq"]] == [1, 2]
    assert lecture.labels() == {ada["participant"]["id"]: "Ada",
                                bob["participant"]["id"]: "Bob"}
    assert [world.participant(o["participant"]["id"]).number for o in (ada, bob)] == [1, 2]
    assert lecture.roster()["summary"]["purposes"]["recording"] == {"pending": 2}
    # the resume secrets handed out in a batch work afterwards
    again = world.join(lecture.call_id, None, resume=ada["participant"]["resume"])
    assert again["participant"]["id"] == ada["participant"]["id"]


def test_joins_decisions_and_leaves_in_one_batch_apply_in_the_order_sent(
        world: World, lecture: Lecture) -> None:
    first = world.join(lecture.call_id, {"display_name": "Ada"})
    ada, resume = first["participant"]["id"], first["participant"]["resume"]
    bob = lecture.join("Bob")
    outcomes = apply(world, [
        JoinRequest(lecture.call_id, None, "en", resume=resume),          # Ada's second tab
        req(lecture, ada, {"recording": "granted"}),
        req(lecture, bob, {"recording": "granted"}),
        LeaveRequest(lecture.call_id, ada),                               # one tab closes
        LeaveRequest(lecture.call_id, bob),
        req(lecture, bob, {"recording": "withdrawn"}),                    # gone, still decides
        JoinRequest(lecture.call_id, {"display_name": "Cy"}, "en"),
        LeaveRequest(lecture.call_id, ada),                               # last tab closes
    ])
    assert not any(isinstance(o, DomainError) for o in outcomes), outcomes
    assert outcomes[0]["participant"]["id"] == ada
    assert outcomes[3] == {"update": None}                                # Ada still present
    seqs = [o["update"]["seq"] for o in outcomes if o.get("update")]
    assert seqs == list(range(3, 3 + len(seqs)))
    gates = [o["update"]["gate"]["recording_allowed"] for o in outcomes if o.get("update")]
    # Ada back (Bob pending), Ada grants (Bob pending), Bob grants, Bob leaves, Bob withdraws
    # while away, Cy joins (pending), Ada leaves (Cy pending)
    assert gates == [False, False, True, True, True, False, False]
    assert world.participant(ada).present is False and world.participant(ada).connections == 0
    assert world.states(bob)["recording"] == "withdrawn"
    assert world.updates_since(lecture.call_id, 2)["updates"] == [
        o["update"] for o in outcomes if o.get("update")]
    assert world.verify().ok
