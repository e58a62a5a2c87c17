"""The derived tables agree with the ledger and with presence after any mix of use cases.

DESIGN §2: "The current state of each participant × purpose is derived from the ledger and kept in
its own table for fast reads." The gate and the summary are derived counters too. A seeded random
walk of joins, resumes, leaves and decisions (valid and refused, predicted by a small model of
the rules) checks after every step that nothing drifted.
"""

import random
from collections import Counter
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from tests.services.support import CANARY_EMAIL, Lecture, World, new_event_id
from widget_server.domain.errors import DomainError
from widget_server.domain.models import (
    Call,
    CallUpdate,
    DecisionEvent,
    Participant,
    PurposeState,
    StateCount,
)
from widget_server.services import live

BASIS = {"recording": "consent", "notes_email": "consent", "attendance": "li",
         "service": "contract"}
INITIAL = {"recording": "pending", "notes_email": "pending", "attendance": "not_objected",
           "service": "informed"}
STATES = ["granted", "denied", "withdrawn", "objected", "not_objected", "pending", "informed"]
PLAUSIBLE = {"consent": ["granted", "granted", "denied", "withdrawn"],
             "li": ["objected", "not_objected"], "contract": ["informed"]}


def transition_ok(purpose: str, current: str, new: str) -> bool:
    basis = BASIS[purpose]
    if basis == "consent":
        return new in ("granted", "denied") or (new == "withdrawn" and current == "granted")
    if basis == "li":
        return new in ("objected", "not_objected")
    return False


@dataclass
class Person:
    id: str
    resume: str
    states: dict[str, str] = field(default_factory=lambda: dict(INITIAL))
    connections: int = 1
    email: bool = False
    name: bool = True  # erased when no applying purpose needs it (minimisation)

    def turns_on_a_name_purpose(self, choices: dict[str, str]) -> bool:
        return ((choices.get("recording") == "granted" and self.states["recording"] != "granted")
                or (choices.get("attendance") == "not_objected"
                    and self.states["attendance"] == "objected"))


def check_invariants(world: World, call_ids: list[str]) -> None:
    with world.db.read_session() as s:
        for call_id in call_ids:
            call = s.get(Call, call_id)
            assert call is not None
            people = list(s.scalars(select(Participant).where(Participant.call_id == call_id)))
            states = {p.id: dict(s.execute(select(PurposeState.purpose, PurposeState.state)
                                           .where(PurposeState.participant_id == p.id)).all())
                      for p in people}
            events = list(s.scalars(select(DecisionEvent).where(DecisionEvent.call_id == call_id)
                                    .order_by(DecisionEvent.seq)))
            # the ledger is gap-free and the current state is its last word
            assert [e.seq for e in events] == list(range(1, len(events) + 1))
            derived = {p.id: dict(INITIAL) for p in people}
            for e in events:
                if e.purpose is not None:  # notice_served records what was shown
                    derived[e.participant_id][e.purpose] = e.state
            assert states == derived
            # the summary counts what the states say
            counts = Counter((purpose, state) for st in states.values()
                             for purpose, state in st.items())
            stored = {(r.purpose, r.state): r.count for r in s.scalars(
                select(StateCount).where(StateCount.call_id == call_id)) if r.count}
            assert stored == dict(counts)
            # the gate's counters are the truth about who is present and who blocks
            present = [p for p in people if p.present]
            for p in people:
                assert p.gate_ok == (states[p.id]["recording"] == "granted")
                assert p.present == (p.connections > 0)
                assert (p.email is not None) == (states[p.id]["notes_email"] == "granted")
            assert call.present_count == len(present)
            assert call.blocking_count == sum(not p.gate_ok for p in present)
            updates = list(s.scalars(select(CallUpdate.seq).where(CallUpdate.call_id == call_id)
                                     .order_by(CallUpdate.seq)))
            assert updates == list(range(1, call.update_seq + 1))


@pytest.mark.parametrize("batched", [False, True], ids=["one-by-one", "group-commit"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_random_walk_keeps_every_derived_table_true(world: World, seed: int,
                                                      batched: bool) -> None:
    rng = random.Random(seed)
    lecture = Lecture(world)
    second = world.open_call(lecture.org_id, lecture.notice["id"], title="Parallel")["id"]
    call_ids = [lecture.call_id, second]
    people: dict[str, list[Person]] = {c: [] for c in call_ids}
    # decisions waiting for their group commit, with the state the model expects after each
    pending: list[tuple[live.Decide, dict[str, str] | None]] = []
    tally = {"accepted": 0, "refused": 0}

    def flush() -> None:
        if not pending:
            return
        with world.db.session() as s:
            outcomes = live.apply(s, [request for request, _ in pending]).outcomes
        for (_, expected), outcome in zip(pending, outcomes, strict=True):
            if expected is None:
                assert isinstance(outcome, DomainError)
            else:
                assert not isinstance(outcome, DomainError), outcome
                assert outcome["state"] == expected
        pending.clear()

    for step in range(150):
        call_id = rng.choice(call_ids)
        crowd = people[call_id]
        roll = rng.random()
        if roll < 0.4 or not crowd:
            flush()  # presence changes see every decision sent before them
        if not crowd or roll < 0.15:
            joined = world.join(call_id, {"display_name": f"Person {step}"})
            crowd.append(Person(joined["participant"]["id"], joined["participant"]["resume"]))
        elif roll < 0.25:
            person = rng.choice(crowd)
            world.join(call_id, None, resume=person.resume)
            person.connections += 1
        elif roll < 0.4:
            person = rng.choice(crowd)
            world.leave(call_id, person.id)
            person.connections = max(0, person.connections - 1)
        else:
            person = rng.choice(crowd)
            purposes = rng.sample(list(BASIS), rng.choice([1, 1, 2]))
            choices = {p: rng.choice(PLAUSIBLE[BASIS[p]] if rng.random() < 0.85 else STATES)
                       for p in purposes}
            granting_email = choices.get("notes_email") == "granted"
            give_email = rng.random() < (0.8 if granting_email and not person.email else 0.1)
            fields = {"email": CANARY_EMAIL} if give_email else None
            ok = all(transition_ok(p, person.states[p], s) for p, s in choices.items())
            if granting_email:
                ok = ok and (give_email or person.email)
            elif give_email:
                ok = False
            # A name erased (no applying purpose needed it) must be given again to turn a
            # purpose needing it back on; this walk never gives it in a decision.
            ok = ok and (person.name or not person.turns_on_a_name_purpose(choices))
            if ok:
                person.states.update(choices)
                person.email = person.states["notes_email"] == "granted"
                person.name = (person.states["recording"] == "granted"
                               or person.states["attendance"] != "objected")
            tally["accepted" if ok else "refused"] += 1
            expected = dict(person.states) if ok else None
            if batched:
                pending.append((live.Decide(call_id, person.id, new_event_id(), choices,
                                            fields or {}), expected))
                if rng.random() < 0.3:
                    flush()
            elif ok:
                assert world.decide(call_id, person.id, choices, fields=fields)["state"] == \
                    expected
            else:
                with pytest.raises(DomainError):
                    world.decide(call_id, person.id, choices, fields=fields)
        if not pending:
            check_invariants(world, call_ids)
    flush()
    check_invariants(world, call_ids)
    assert tally["accepted"] > 10 and tally["refused"] > 10  # both sides were exercised
    assert world.verify().ok
