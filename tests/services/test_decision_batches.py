"""DESIGN §5 group commit, under the rules of DESIGN §2: a batch of joins, decisions and leaves
committed at once (live.apply, the one entry point) must leave exactly what the same commands
one at a time would, and each refusal is its own."""

from typing import Any

import pytest

from tests.services.support import CANARY_EMAIL, Lecture, World, new_event_id
from widget_server.domain.errors import (
    CallEnded,
    DomainError,
    InvalidState,
    MissingField,
    NotFound,
    StaleNotice,
    UnexpectedField,
    UnknownPurpose,
)
from widget_server.domain.ledger import NOTICE_SERVED
from widget_server.domain.models import DecisionEvent, Receipt
from widget_server.services import live

EVENT_ID = "00000000-0000-4000-8000-000000000001"


def apply(world: World, commands: list[Any]) -> live.Applied:
    with world.db.session() as s:
        return live.apply(s, commands)


def decide(call: Lecture | str, pid: str, choices: Any, fields: Any = None,
           event_id: str | None = None) -> live.Decide:
    call_id = call if isinstance(call, str) else call.call_id
    return live.Decide(call_id, pid, event_id or new_event_id(), choices, fields or {})


def join(lecture: Lecture, fields: Any = None, language: str = "en", resume: str | None = None
         ) -> live.Join:
    return live.Join(lecture.call_id, lecture.notice["content_hash"], fields or {}, language,
                     resume)


def kinds(outcomes: list[Any]) -> list[type]:
    return [type(o) if isinstance(o, DomainError) else dict for o in outcomes]


def choices_of(world: World, call_id: str) -> list[DecisionEvent]:
    return [e for e in world.events(call_id) if e.purpose is not None]


def test_a_batch_applies_each_decision_in_order_and_refuses_each_bad_one_alone(
        world: World, lecture: Lecture) -> None:
    ada, bob = lecture.join("Ada"), lecture.join("Bob")
    applied = apply(world, [
        decide(lecture, ada, {"recording": "granted"}),
        decide(lecture, bob, {"service": "granted"}),                      # refused
        decide(lecture, ada, {"recording": "withdrawn"}),
        decide(lecture, bob, {"notes_email": "granted"}),                  # refused: no email
        decide(lecture, bob, {"transcript": "granted"}),                   # refused
        decide(lecture, bob, {"recording": "denied"}, {"email": CANARY_EMAIL}),  # refused
        decide(lecture, ada, {"recording": "granted"}),
        decide(lecture, "p_nobody", {"recording": "granted"}),             # refused
    ])
    assert kinds(applied.outcomes) == [dict, InvalidState, dict, MissingField, UnknownPurpose,
                                       UnexpectedField, dict, NotFound]
    recorded = [o for o in applied.outcomes if isinstance(o, dict)]
    # two joins wrote notice_served events 1 and 2
    assert [o["receipt"]["seq"] for o in recorded] == [3, 4, 5]
    updates = applied.updates[lecture.call_id]
    assert [u["seq"] for u in updates] == [3, 4, 5]  # after two joins
    assert [o["state"]["recording"] for o in recorded] == ["granted", "withdrawn", "granted"]
    events = choices_of(world, lecture.call_id)
    assert [(e.seq, e.participant_id, e.state) for e in events] == [
        (3, ada, "granted"), (4, ada, "withdrawn"), (5, ada, "granted")]
    assert [o["receipt"]["hash"] for o in recorded] == [e.hash for e in events]
    assert world.states(bob)["recording"] == "pending"
    assert world.participant(bob).email is None
    assert lecture.gate()["blocking_participants"] == [bob]
    assert world.verify().ok
    assert world.updates_since(lecture.call_id, 2)["updates"] == updates


def test_a_batch_of_one_participant_ends_in_the_last_state_sent(world: World,
                                                                lecture: Lecture) -> None:
    pid = lecture.join()
    plan = ["granted", "withdrawn", "granted", "denied", "granted"]
    outcomes = apply(world, [decide(lecture, pid, {"recording": s}) for s in plan]).outcomes
    assert [o["state"]["recording"] for o in outcomes] == plan
    assert world.states(pid)["recording"] == "granted"
    assert lecture.roster()["summary"]["purposes"]["recording"] == {"granted": 1}
    assert lecture.gate()["recording_allowed"]


def test_an_email_granted_and_withdrawn_in_one_batch_is_not_kept(world: World,
                                                                 lecture: Lecture) -> None:
    pid = lecture.join()
    outcomes = apply(world, [
        decide(lecture, pid, {"notes_email": "granted"}, {"email": CANARY_EMAIL}),
        decide(lecture, pid, {"notes_email": "withdrawn"}),
    ]).outcomes
    assert kinds(outcomes) == [dict, dict]
    assert outcomes[1]["held"] == ["display_name"]
    assert world.participant(pid).email is None
    apply(world, [
        decide(lecture, pid, {"notes_email": "granted"}, {"email": CANARY_EMAIL}),
        decide(lecture, pid, {"recording": "granted"}),  # the email stays: notes_email granted
    ])
    assert world.participant(pid).email == CANARY_EMAIL


def test_a_repeated_event_id_in_one_batch_is_recorded_once(world: World,
                                                           lecture: Lecture) -> None:
    pid = lecture.join()
    applied = apply(world, [
        decide(lecture, pid, {"recording": "granted"}, event_id=EVENT_ID),
        decide(lecture, pid, {"recording": "denied"}, event_id=EVENT_ID),
    ])
    first, second = applied.outcomes
    assert first["receipt"] == second["receipt"]
    assert len(applied.updates[lecture.call_id]) == 1  # the repeat tells the hosts nothing
    assert len(choices_of(world, lecture.call_id)) == 1 and world.count(Receipt) == 1
    assert world.states(pid)["recording"] == "granted"
    # and a later single retry gets the same receipt
    again = lecture.decide(pid, {"recording": "granted"}, event_id=EVENT_ID)
    assert again["receipt"] == first["receipt"]


def test_a_batch_spanning_calls_keeps_each_sequence_its_own(world: World,
                                                            lecture: Lecture) -> None:
    other = Lecture(world)
    ada, bob = lecture.join("Ada"), other.join("Bob")
    outcomes = apply(world, [
        decide(lecture, ada, {"recording": "granted"}),
        decide(other, bob, {"recording": "granted"}),
        decide(lecture, ada, {"attendance": "objected"}),
        decide(other, ada, {"recording": "denied"}),                       # not of that call
        decide(other, bob, {"recording": "withdrawn", "attendance": "objected"}),
    ]).outcomes
    assert isinstance(outcomes[3], NotFound)
    assert [e.seq for e in world.events(lecture.call_id)] == [1, 2, 3]
    assert [e.seq for e in world.events(other.call_id)] == [1, 2, 3, 4]
    assert outcomes[4]["receipt"]["seq"] == 4
    assert world.verify().ok


def test_a_batch_on_an_ended_or_unknown_call_records_nothing(world: World,
                                                             lecture: Lecture) -> None:
    pid = lecture.join()
    lecture.end()
    before = world.footprint()
    outcomes = apply(world, [decide(lecture, pid, {"recording": "granted"}),
                             decide("call_missing", pid, {"recording": "granted"}),
                             join(lecture, {"display_name": "Late"})]).outcomes
    assert kinds(outcomes) == [CallEnded, NotFound, CallEnded]
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
    commands = [decide(batched, people[batched.call_id][who], choices) for who, choices in plan]
    for start in range(0, len(commands), size):
        outcomes_batched += apply(world, commands[start:start + size]).outcomes
    assert [type(o) for o in outcomes_batched] == [type(o) for o in outcomes_single]
    shape = [(p["label"], p["present"], p["state"], p["blocking"])
             for p in batched.roster()["participants"]]
    assert shape == [(p["label"], p["present"], p["state"], p["blocking"])
                     for p in single.roster()["participants"]]
    assert batched.roster()["summary"] == single.roster()["summary"]

    def blocking_positions(call: Lecture) -> list[int]:
        return [people[call.call_id].index(pid) for pid in call.gate()["blocking_participants"]]

    assert blocking_positions(batched) == blocking_positions(single)
    assert [(e.seq, e.state) for e in world.events(batched.call_id)] == [
        (e.seq, e.state) for e in world.events(single.call_id)]
    assert world.verify().ok


def test_joins_in_one_batch_are_numbered_without_gaps_and_refusals_store_nothing(
        world: World, lecture: Lecture) -> None:
    applied = apply(world, [
        join(lecture, {"display_name": "Ada"}, "de"),
        join(lecture, {"display_name": "Eve", "email": CANARY_EMAIL}),
        join(lecture, {}),
        join(lecture, {"display_name": "Bob"}, "fr"),
        live.Join("call_missing", lecture.notice["content_hash"], {"display_name": "Cy"}),
        live.Join(lecture.call_id, "sha256:" + "0" * 64, {"display_name": "Dee"}),
    ])
    assert kinds(applied.outcomes) == [dict, UnexpectedField, MissingField, dict, NotFound,
                                       StaleNotice]
    ada, bob = applied.outcomes[0], applied.outcomes[3]
    assert (ada["notice"]["language"], bob["notice"]["language"]) == ("de", "en")
    assert [u["seq"] for u in applied.updates[lecture.call_id]] == [1, 2]
    assert lecture.labels() == {ada["participant"]["id"]: "Ada",
                                bob["participant"]["id"]: "Bob"}
    assert [world.participant(o["participant"]["id"]).number for o in (ada, bob)] == [1, 2]
    assert lecture.roster()["summary"]["purposes"]["recording"] == {"pending": 2}
    # each join recorded which notice it was shown, in which language
    served = world.events(lecture.call_id)
    assert [(e.purpose, e.state, e.language, e.notice_hash) for e in served] == [
        (None, NOTICE_SERVED, "de", lecture.notice["content_hash"]),
        (None, NOTICE_SERVED, "en", lecture.notice["content_hash"])]
    # the resume secrets handed out in a batch work afterwards
    again = world.join(lecture.call_id, None, resume=ada["participant"]["resume"])
    assert again["participant"]["id"] == ada["participant"]["id"]


def test_joins_decisions_and_leaves_in_one_batch_apply_in_the_order_sent(
        world: World, lecture: Lecture) -> None:
    first = world.join(lecture.call_id, {"display_name": "Ada"})
    ada, resume = first["participant"]["id"], first["participant"]["resume"]
    bob = lecture.join("Bob")
    applied = apply(world, [
        join(lecture, None, resume=resume),                                # Ada's second tab
        decide(lecture, ada, {"recording": "granted"}),
        decide(lecture, bob, {"recording": "granted"}),
        live.Leave(lecture.call_id, ada),                                  # one tab closes
        live.Leave(lecture.call_id, bob),
        decide(lecture, bob, {"recording": "withdrawn"}),                  # gone, still decides
        join(lecture, {"display_name": "Cy"}),
        live.Leave(lecture.call_id, ada),                                  # last tab closes
    ])
    outcomes = applied.outcomes
    assert not any(isinstance(o, DomainError) for o in outcomes), outcomes
    assert outcomes[0]["participant"]["id"] == ada
    updates = applied.updates[lecture.call_id]
    # Ada back, Ada grants, Bob grants, (Ada's first tab: nothing), Bob leaves, Bob withdraws,
    # Cy joins, Ada leaves
    assert [u["kind"] for u in updates] == ["joined", "decision", "decision", "left",
                                            "decision", "joined", "left"]
    assert [u["seq"] for u in updates] == list(range(3, 3 + len(updates)))
    gates = [u["gate"]["recording_allowed"] for u in updates]
    assert gates == [False, False, True, True, True, False, False]
    assert world.participant(ada).present is False and world.participant(ada).connections == 0
    assert world.states(bob)["recording"] == "withdrawn"
    assert world.updates_since(lecture.call_id, 2)["updates"] == updates
    assert world.verify().ok


def test_a_blocking_participant_carries_since_when(world: World, lecture: Lecture) -> None:
    """Hosts can tell since when someone holds recording up (a fact the server derives)."""
    ada = lecture.join("Ada")
    [person] = lecture.roster()["participants"]
    assert person["blocking"] is True and person["blocking_since"] is not None
    lecture.decide(ada, {"recording": "granted"})
    [person] = lecture.roster()["participants"]
    assert person["blocking"] is False and person["blocking_since"] is None
    lecture.leave(ada)
    lecture.decide(ada, {"recording": "withdrawn"})
    [person] = lecture.roster()["participants"]
    assert person["blocking"] is False  # not present: not holding anything up
