"""Joining and leaving in batches (group commit), as decision_batch does for decisions.

A lecture fills up in a burst: hundreds join within a second. Each join here costs a share of
a dozen statements rather than twenty of its own.
"""

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from widget_server.domain.errors import CallEnded, NotFound
from widget_server.domain.fields import check_fields
from widget_server.domain.ids import digest, new_id, new_secret, same_digest
from widget_server.domain.lawful_basis import initial_state
from widget_server.domain.models import Participant, PurposeState, table
from widget_server.domain.notice import DATA_CATEGORIES, choose_language, fields_at_join
from widget_server.services.call_batch import CallBatch, Outcome, load_call, per_call, write_call
from widget_server.services.decision_rules import gate_ok_for

PEOPLE, STATES = table(Participant), table(PurposeState)
CHANNELS = ("widget", "api")


@dataclass(frozen=True)
class JoinRequest:
    call_id: str
    fields: Any
    language: Any
    channel: str = "widget"
    resume: Any = None


@dataclass(frozen=True)
class LeaveRequest:
    call_id: str
    participant_id: str


@dataclass(frozen=True)
class AwayRequest:
    """Not connected any more, however many connections were counted (after a restart)."""

    call_id: str
    participant_id: str


@dataclass
class _Presence:
    live: CallBatch
    people: dict[str, dict[str, Any]]
    states: dict[str, dict[str, str]]
    new_people: list[dict[str, Any]] = field(default_factory=list)
    new_states: list[dict[str, Any]] = field(default_factory=list)
    changed: set[str] = field(default_factory=set)


def join_many(session: Session, requests: list[JoinRequest]) -> list[Outcome]:
    """Bring participants in, in the order given; the caller commits once. Each holds only the
    fields its notice's non-consent purposes need; a refused join stores nothing."""
    return _per_call(session, requests, [_resumed_id(r.resume) for r in requests], _join)


def leave_many(session: Session, requests: list[LeaveRequest]) -> list[Outcome]:
    """One connection each closed; the last one closing means no longer present. Choices stand.
    An outcome is {"update": None} when hosts need not hear of it."""
    return _per_call(session, requests, [r.participant_id for r in requests], _leave)


def away_many(session: Session, requests: list[AwayRequest]) -> list[Outcome]:
    """Mark participants as gone, with a host update for each who was present."""
    return _per_call(session, requests, [r.participant_id for r in requests], _away)


def _per_call(session: Session, requests: Sequence[Any], people: list[str | None],
              step: Callable[[_Presence, Any, datetime], Outcome]) -> list[Outcome]:
    named = dict(zip(map(id, requests), people, strict=True))

    def load(call_id: str, of_call: list[Any]) -> _Presence | None:
        return _load(session, call_id, {p for r in of_call if (p := named[id(r)])})

    return per_call(requests, lambda r: str(r.call_id), load, step,
                    lambda batch: _write(session, batch))


def _load(session: Session, call_id: str, ids: set[str]) -> _Presence | None:
    live = load_call(session, call_id)
    if live is None:
        return None
    people = {row["id"]: dict(row) for row in session.execute(
        select(PEOPLE).where(PEOPLE.c.id.in_(ids), PEOPLE.c.call_id == call_id)).mappings()}
    states: dict[str, dict[str, str]] = defaultdict(dict)
    for pid, purpose, state in session.execute(
            select(STATES.c.participant_id, STATES.c.purpose, STATES.c.state)
            .where(STATES.c.participant_id.in_(people))):
        states[pid][purpose] = state
    return _Presence(live, people, states)


def _join(batch: _Presence, request: JoinRequest, now: datetime) -> dict[str, Any]:
    live = batch.live
    call, notice = live.call, live.notice
    if call["status"] != "open":
        raise CallEnded("The call has ended.")
    person = _resumed(batch, request.resume)
    needed = fields_at_join(notice.purposes)
    given = check_fields(request.fields, needed, frozenset() if person else needed,
                         "when joining this call")
    wanted = request.language if isinstance(request.language, str) else None
    language = choose_language(notice.content, wanted)
    resume = request.resume
    if person is None:
        person, resume = _new_person(batch, request, language, now)
    else:
        batch.changed.add(person["id"])
    states = batch.states[person["id"]]
    person.update(given)
    person.update(language=language, updated_at=now, connections=person["connections"] + 1)
    live.set_gate_ok(person, gate_ok_for(notice.purposes, states))
    live.set_presence(person, True)
    return {"participant": {"id": person["id"], "resume": resume},
            "notice": notice.render(language), "state": dict(states),
            "update": live.record_update("joined", person, states, now)}


def _new_person(batch: _Presence, request: JoinRequest, language: str, now: datetime
                ) -> tuple[dict[str, Any], str]:
    live = batch.live
    live.call["participant_count"] += 1
    secret = new_secret()
    person = {"id": new_id("p"), "call_id": live.call["id"],
              "number": live.call["participant_count"], **dict.fromkeys(DATA_CATEGORIES),
              "language": language,
              "channel": request.channel if request.channel in CHANNELS else "widget",
              "resume_hash": digest(secret), "connections": 0, "present": False,
              "gate_ok": False, "joined_at": now, "updated_at": now}
    batch.people[person["id"]] = person
    batch.new_people.append(person)
    for purpose in live.notice.purposes:
        state = initial_state(purpose.basis)
        batch.states[person["id"]][purpose.key] = state
        batch.new_states.append({"participant_id": person["id"], "purpose": purpose.key,
                                 "state": state})
        live.count(purpose.key, state, 1)
    return person, f"{person['id']}.{secret}"


def _resumed_id(resume: Any) -> str | None:
    if not isinstance(resume, str) or "." not in resume or len(resume) > 200:
        return None
    return resume.split(".", 1)[0]


def _resumed(batch: _Presence, resume: Any) -> dict[str, Any] | None:
    """The participant a resume secret names, if genuine and of this call. A stale or foreign
    secret starts a new participant rather than failing (a reload after a purge, say)."""
    pid = _resumed_id(resume)
    person = batch.people.get(pid) if pid else None
    if person is None or person in batch.new_people:
        return None
    return person if same_digest(resume.split(".", 1)[1], person["resume_hash"]) else None


def _leave(batch: _Presence, request: LeaveRequest, now: datetime) -> dict[str, Any]:
    person = batch.people.get(request.participant_id)
    if person is None:
        raise NotFound("No such participant in this call.")
    if batch.live.call["status"] != "open" or person["connections"] == 0:
        return {"update": None}
    person["connections"] -= 1
    batch.changed.add(person["id"])
    if person["connections"] > 0:
        return {"update": None}
    person["updated_at"] = now
    batch.live.set_presence(person, False)
    return {"update": batch.live.record_update("left", person, batch.states[person["id"]], now)}


def _away(batch: _Presence, request: AwayRequest, now: datetime) -> dict[str, Any]:
    person = batch.people.get(request.participant_id)
    if person is None:
        raise NotFound("No such participant in this call.")
    person["connections"] = 0
    batch.changed.add(person["id"])
    if not person["present"]:
        return {"update": None}
    person["updated_at"] = now
    batch.live.set_presence(person, False)
    return {"update": batch.live.record_update("left", person, batch.states[person["id"]], now)}


def _write(session: Session, batch: _Presence) -> None:
    if batch.new_people:
        session.execute(insert(PEOPLE), batch.new_people)
        session.execute(insert(STATES), batch.new_states)
    changed = [batch.people[pid] for pid in batch.changed]
    if changed:
        values = ("display_name", "email", "phone", "language", "connections", "present",
                  "gate_ok", "updated_at")
        session.execute(
            update(PEOPLE).where(PEOPLE.c.id == bindparam("pid"))
            .values({name: bindparam(f"v_{name}") for name in values}),
            [{"pid": p["id"], **{f"v_{name}": p[name] for name in values}} for p in changed])
    write_call(session, batch.live)
