"""Deciding in batches: read once, decide in memory, write each table once (group commit).

A batch of decisions for one call costs a dozen statements whatever its size, instead of a
dozen per decision: on this hardware an ORM statement costs ~0.25 ms, which capped the
one-at-a-time path near 100 decisions a second. Every rule applies unchanged; a refused
decision is found out before anything of it is written, so it leaves nothing behind.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from widget_server.domain.errors import CallEnded, NotFound, ValidationFailed
from widget_server.domain.hashing import chain_hash
from widget_server.domain.ids import new_id
from widget_server.domain.models import DecisionEvent, Participant, PurposeState, Receipt, table
from widget_server.domain.notice import DATA_CATEGORIES, fields_to_keep
from widget_server.services.call_batch import CallBatch, Outcome, load_call, per_call, write_call
from widget_server.services.decision_rules import (
    MAX_EVENT_ID,
    checked_choices,
    checked_fields,
    gate_ok_for,
    instant,
)

EVENTS, RECEIPTS = table(DecisionEvent), table(Receipt)
STATES, PEOPLE = table(PurposeState), table(Participant)


@dataclass(frozen=True)
class DecisionRequest:
    call_id: str
    participant_id: str
    event_id: Any
    choices: Any
    fields: Any = None
    channel: str = "widget"




@dataclass
class _Person:
    row: dict[str, Any]
    states: dict[str, str]
    changed: bool = False


@dataclass
class _Decisions:
    """What one call's batch of decisions will write."""

    live: CallBatch
    people: dict[str, _Person]
    receipts: dict[tuple[str, str], dict[str, Any]]
    events: list[dict[str, Any]] = field(default_factory=list)
    new_receipts: list[dict[str, Any]] = field(default_factory=list)
    changed_states: dict[tuple[str, str], str] = field(default_factory=dict)


def decide_many(session: Session, requests: list[DecisionRequest]) -> list[Outcome]:
    """Apply decisions in the order given, each refused or recorded on its own merits, and
    write them all in the caller's transaction (the caller commits once)."""
    return per_call(requests, lambda r: r.call_id,
                    lambda call_id, of_call: _load(session, call_id, of_call), _decide,
                    lambda batch: _write(session, batch))


def _load(session: Session, call_id: str, requests: list[DecisionRequest]) -> _Decisions | None:
    live = load_call(session, call_id)
    if live is None:
        return None
    ids = {r.participant_id for r in requests}
    people = {row["id"]: _Person(dict(row), {}) for row in session.execute(
        select(PEOPLE).where(PEOPLE.c.id.in_(ids))).mappings()}
    for pid, purpose, state in session.execute(
            select(STATES.c.participant_id, STATES.c.purpose, STATES.c.state)
            .where(STATES.c.participant_id.in_(ids))):
        people[pid].states[purpose] = state
    receipts = {(r["participant_id"], r["event_id"]): dict(r) for r in session.execute(
        select(RECEIPTS).where(RECEIPTS.c.participant_id.in_(ids), RECEIPTS.c.event_id.in_(
            {r.event_id for r in requests if isinstance(r.event_id, str)})))
        .mappings()}
    return _Decisions(live, people, receipts)


def _decide(batch: _Decisions, request: DecisionRequest, now: datetime) -> dict[str, Any]:
    if not isinstance(request.event_id, str) or not 1 <= len(request.event_id) <= MAX_EVENT_ID:
        raise ValidationFailed("event_id must be a string of 1 to 64 characters.",
                               fields={"event_id": ["1 to 64 characters."]})
    live = batch.live
    call, purposes = live.call, live.notice.purposes
    person = batch.people.get(request.participant_id)
    if person is None or person.row["call_id"] != call["id"]:
        raise NotFound("No such participant in this call.")
    previous = batch.receipts.get((request.participant_id, request.event_id))
    if previous is not None:
        return {"state": previous["state"], "update": None,
                "receipt": {"id": previous["id"], "seq": previous["seq"],
                            "hash": previous["hash"]}}
    if call["status"] != "open":
        raise CallEnded("The call has ended; no more decisions can be recorded.")
    # Everything is checked before anything changes: a refusal leaves no trace.
    wanted = checked_choices(request.choices, {p.key: p for p in purposes}, person.states)
    given = checked_fields(request.fields, purposes, wanted,
                           {name for name in DATA_CATEGORIES if person.row[name]})
    after = {**person.states, **wanted}
    for key, state in wanted.items():
        _append(batch, person, request, key, state, now)
        live.count(key, person.states[key], -1)
        live.count(key, state, 1)
        batch.changed_states[(person.row["id"], key)] = state
    person.states = after
    person.row.update(given)
    for name in DATA_CATEGORIES - fields_to_keep(purposes, after):
        person.row[name] = None  # erased at once: no granted purpose needs it any more
    live.set_gate_ok(person.row, gate_ok_for(purposes, after))
    person.row["updated_at"], person.changed = now, True
    receipt = {"id": new_id("rcpt"), "participant_id": person.row["id"],
               "event_id": request.event_id, "seq": call["ledger_seq"],
               "hash": call["ledger_head"], "state": after}
    batch.receipts[(person.row["id"], request.event_id)] = receipt
    batch.new_receipts.append(receipt)
    return {"state": after, "update": live.record_update("decision", person.row, after, now),
            "receipt": {"id": receipt["id"], "seq": receipt["seq"], "hash": receipt["hash"]}}


def _append(batch: _Decisions, person: _Person, request: DecisionRequest, purpose: str,
            state: str, now: datetime) -> None:
    call, notice = batch.live.call, batch.live.notice
    call["ledger_seq"] += 1
    event = {"call_id": call["id"], "seq": call["ledger_seq"], "event_id": request.event_id,
             "participant_id": person.row["id"], "purpose": purpose, "state": state,
             "notice_version": notice.version, "notice_hash": notice.content_hash,
             "language": person.row["language"], "channel": request.channel,
             "recorded_at": instant(now)}
    digest = chain_hash(call["ledger_head"], event)
    batch.events.append({**event, "recorded_at": now, "prev_hash": call["ledger_head"],
                         "hash": digest})
    call["ledger_head"] = digest


def _write(session: Session, batch: _Decisions) -> None:
    if not batch.events:
        return
    session.execute(insert(EVENTS), batch.events)
    session.execute(insert(RECEIPTS), batch.new_receipts)
    session.execute(
        update(STATES).where(STATES.c.participant_id == bindparam("pid"),
                             STATES.c.purpose == bindparam("key"))
        .values(state=bindparam("new_state")),
        [{"pid": pid, "key": key, "new_state": state}
         for (pid, key), state in batch.changed_states.items()])
    session.execute(
        update(PEOPLE).where(PEOPLE.c.id == bindparam("pid")).values(
            display_name=bindparam("v_display_name"), email=bindparam("v_email"),
            phone=bindparam("v_phone"), gate_ok=bindparam("v_gate_ok"),
            updated_at=bindparam("v_updated_at")),
        [{"pid": p.row["id"], **{f"v_{k}": p.row[k] for k in (*DATA_CATEGORIES, "gate_ok")},
          "v_updated_at": p.row["updated_at"]} for p in batch.people.values() if p.changed])
    write_call(session, batch.live)
