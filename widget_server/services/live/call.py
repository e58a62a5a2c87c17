"""LiveCall: one call's live state while a batch of commands is applied to it.

Loaded once per batch (the call row under its lock, its notice, summary counts, the people
and receipts the commands name), changed in memory by the handlers in presence.py,
decisions.py and ending.py, and saved once. Its counters keep the gate (domain/gate.py) and
the summary in step with every change; its ledger appends follow domain/ledger.py.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, exists, insert, select, update
from sqlalchemy.orm import Session

from widget_server.domain.errors import NotFound
from widget_server.domain.gate import gate_view, lets_record
from widget_server.domain.ledger import ERASED, chain_hash, instant
from widget_server.domain.models import (
    Call,
    CallUpdate,
    DecisionEvent,
    NoticeVersion,
    Participant,
    PurposeState,
    Receipt,
    StateCount,
    WebhookEndpoint,
    table,
)
from widget_server.domain.notice import DATA_CATEGORIES
from widget_server.services.database import scrub_after_commit
from widget_server.services.live.commands import ChangeNotice, Command, Decide, Erase
from widget_server.services.live.notices import NoticeInfo, notice_info, notice_version
from widget_server.services.live.updates import host_update, snapshot_of
from widget_server.services.live.webhook_events import events_of
from widget_server.services.webhooks import outbox

CALLS, PEOPLE, STATES = table(Call), table(Participant), table(PurposeState)
EVENTS, RECEIPTS, UPDATES, COUNTS = (table(DecisionEvent), table(Receipt), table(CallUpdate),
                                     table(StateCount))
HOOKS = table(WebhookEndpoint)
# Participant columns a batch may change, written back in one executemany.
PERSON_COLUMNS = (*sorted(DATA_CATEGORIES), "ref", "language", "connections", "present",
                  "gate_ok", "blocking_since", "updated_at", "process")


@dataclass
class Person:
    """A participant of the call: their row and their state per purpose."""

    row: dict[str, Any]
    states: dict[str, str]
    new: bool = False
    changed: bool = False
    erased: bool = False  # a personal value was erased or replaced: scrub the disk after commit

    @property
    def id(self) -> str:
        return str(self.row["id"])

    def held(self) -> frozenset[str]:
        """The personal fields held now."""
        return frozenset(name for name in DATA_CATEGORIES if self.row[name])


@dataclass
class LiveCall:
    call: dict[str, Any]
    notice: NoticeInfo
    now: datetime
    counts: dict[tuple[str, str], int]
    people: dict[str, Person]
    receipts: dict[tuple[str, str], dict[str, Any]]
    counted: set[tuple[str, str]] = field(default_factory=set)
    events: list[dict[str, Any]] = field(default_factory=list)
    new_receipts: list[dict[str, Any]] = field(default_factory=list)
    changed_states: dict[tuple[str, str], str] = field(default_factory=dict)
    updates: list[dict[str, Any]] = field(default_factory=list)
    live_updates: list[dict[str, Any]] = field(default_factory=list)
    ended_now: bool = False
    # Only for a notice change (the common path never fills these): the versions it names,
    # purpose states that come or go, and what participants are told after the commit.
    versions: dict[int, NoticeInfo | None] = field(default_factory=dict)
    added_states: set[tuple[str, str]] = field(default_factory=set)
    dropped_states: set[tuple[str, str]] = field(default_factory=set)
    notice_changes: list[dict[str, Any]] = field(default_factory=list)
    notice_id: str = ""  # the call's notice (its versions are what a change may move to)
    # Only for an erasure: the people named whose erasure the ledger already records.
    erased: set[str] = field(default_factory=set)
    # For webhooks (webhook_events.py): the gate and ledger head before the batch, the ledger
    # head after each update, and the organisation's endpoints (read once, at save).
    gate_before: bool = False
    ledger_before: int = 0
    ledger_marks: list[int] = field(default_factory=list)
    has_webhooks: bool = False

    # reading --------------------------------------------------------------------------
    @property
    def id(self) -> str:
        return str(self.call["id"])

    @property
    def is_open(self) -> bool:
        return self.call["status"] == "open"

    def person(self, participant_id: str) -> Person:
        person = self.people.get(participant_id)
        if person is None:
            raise NotFound("No such participant in this call.")
        return person

    def summary(self) -> dict[str, Any]:
        purposes: dict[str, dict[str, int]] = {}
        for (purpose, state), count in sorted(self.counts.items()):
            if count:
                purposes.setdefault(purpose, {})[state] = count
        return {"present": self.call["present_count"], "purposes": purposes}

    def gate(self) -> dict[str, Any]:
        return gate_view(self.is_open, self.call["present_count"], self.call["blocking_count"])

    # changing -------------------------------------------------------------------------
    def count(self, purpose: str, state: str, delta: int) -> None:
        self.counts[(purpose, state)] = self.counts.get((purpose, state), 0) + delta

    def set_states(self, person: Person, after: dict[str, str]) -> None:
        """New states for a person: counts, stored states and the gate follow."""
        for key, state in after.items():
            before = person.states.get(key)
            if before == state:
                continue
            if before is not None:
                self.count(key, before, -1)
            self.count(key, state, 1)
            if not person.new:
                self.changed_states[(person.id, key)] = state
        person.states = {**person.states, **after}
        self._touch(person, gate_ok=lets_record(self.notice.purposes, person.states))

    def restate(self, person: Person, after: dict[str, str]) -> None:
        """Replace a person's states wholesale (a notice change): purposes not in `after`
        go, new ones come; counts, stored states and the gate follow."""
        before = person.states
        for key, state in before.items():
            if after.get(key) != state:
                self.count(key, state, -1)
        for key, state in after.items():
            if before.get(key) != state:
                self.count(key, state, 1)
        if not person.new:
            for key in before.keys() - after.keys():
                if (person.id, key) in self.added_states:
                    self.added_states.discard((person.id, key))
                else:
                    self.dropped_states.add((person.id, key))
                self.changed_states.pop((person.id, key), None)
            for key, state in after.items():
                if key in before and before[key] == state:
                    continue
                if key in before or (person.id, key) in self.dropped_states:
                    self.dropped_states.discard((person.id, key))
                    self.changed_states[(person.id, key)] = state
                else:
                    self.added_states.add((person.id, key))
        person.states = dict(after)
        self._touch(person, gate_ok=lets_record(self.notice.purposes, person.states))

    def set_presence(self, person: Person, present: bool) -> None:
        self._touch(person, present=present)

    def _touch(self, person: Person, **values: bool) -> None:
        """Change presence or gate_ok, keeping the call's counters and the person's
        blocking_since (since when they hold recording up) in step."""
        row = person.row
        was_blocking = row["present"] and not row["gate_ok"]
        was_present = row["present"]
        row.update(values)
        blocking = row["present"] and not row["gate_ok"]
        self.call["present_count"] += int(row["present"]) - int(was_present)
        self.call["blocking_count"] += int(blocking) - int(was_blocking)
        if blocking and row["blocking_since"] is None:
            row["blocking_since"] = self.now
        elif not blocking:
            row["blocking_since"] = None
        row["updated_at"] = self.now
        person.changed = True

    def append_event(self, person: Person, event_id: str, purpose: str | None, state: str,
                     channel: str) -> None:
        """One ledger event, chained to the call's head (domain/ledger.py)."""
        self.call["ledger_seq"] += 1
        event = {"call_id": self.id, "seq": self.call["ledger_seq"], "event_id": event_id,
                 "participant_id": person.id, "purpose": purpose, "state": state,
                 "notice_version": self.notice.version, "notice_hash": self.notice.content_hash,
                 "language": person.row["language"], "channel": channel,
                 "recorded_at": instant(self.now)}
        digest = chain_hash(self.call["ledger_head"], event)
        self.events.append({**event, "recorded_at": self.now,
                            "prev_hash": self.call["ledger_head"], "hash": digest})
        self.call["ledger_head"] = digest

    def record_update(self, kind: str, person: Person | None,
                      notice: dict[str, Any] | None = None) -> None:
        """Number the change and keep it for storage (resync) and for the hosts."""
        self.call["update_seq"] += 1
        snapshot: dict[str, Any] = {"summary": self.summary(), "gate": self.gate()}
        if notice is not None:
            snapshot["notice"] = notice
        if person is not None:
            snapshot["participant"] = snapshot_of(person.row, person.states)
        self.updates.append({"call_id": self.id, "seq": self.call["update_seq"], "kind": kind,
                             "participant_id": person.id if person else None,
                             "snapshot": snapshot, "created_at": self.now})
        self.ledger_marks.append(self.call["ledger_seq"])
        name = person.row["display_name"] if person else None
        self.live_updates.append(host_update(self.call["update_seq"], kind, snapshot, name))


def new_event_id() -> str:
    """The event_id of a ledger event the server writes itself (a join's notice_served)."""
    return str(uuid.uuid4())


def load(session: Session, call_id: str, commands: Iterable[Command], now: datetime
         ) -> LiveCall | None:
    """The call under its lock, with the people and receipts the commands name."""
    row = session.execute(
        select(CALLS, NoticeVersion.content_hash.label("notice_hash"),
               NoticeVersion.notice_id.label("notice_id"),
               # Whether to look for webhook endpoints at save: no extra round trip when not.
               exists().where(HOOKS.c.organisation_id == CALLS.c.organisation_id)
               .label("has_webhooks"))
        .join(NoticeVersion, NoticeVersion.id == CALLS.c.notice_version_id)
        .where(CALLS.c.id == call_id).with_for_update(of=CALLS)).mappings().first()
    if row is None:
        return None
    call = {key: value for key, value in row.items()
            if key not in ("notice_hash", "notice_id", "has_webhooks")}
    notice = notice_info(session, call["notice_version_id"], row["notice_hash"])
    counts = {(purpose, state): count for purpose, state, count in session.execute(
        select(COUNTS.c.purpose, COUNTS.c.state, COUNTS.c.count)
        .where(COUNTS.c.call_id == call_id))}
    commands = list(commands)
    ids = {pid for c in commands if (pid := getattr(c, "participant_id", None))}
    changes = [c for c in commands if isinstance(c, ChangeNotice)]
    people: dict[str, Person] = {}
    if ids or changes:
        # A notice change touches everyone in the call; any other command only those it names.
        query = select(PEOPLE).where(PEOPLE.c.call_id == call_id)
        if not changes:
            query = query.where(PEOPLE.c.id.in_(ids))
        people = {row["id"]: Person(dict(row), {})
                  for row in session.execute(query).mappings()}
        # Everyone's states by the call (no parameter per participant) for a notice change.
        whose = (STATES.c.participant_id.in_(people) if not changes else
                 STATES.c.participant_id.in_(select(PEOPLE.c.id)
                                             .where(PEOPLE.c.call_id == call_id)))
        for pid, purpose, state in session.execute(
                select(STATES.c.participant_id, STATES.c.purpose, STATES.c.state)
                .where(whose)):
            people[pid].states[purpose] = state
    event_ids = {c.event_id for c in commands if isinstance(c, Decide)}
    receipts: dict[tuple[str, str], dict[str, Any]] = {}
    if event_ids and people:
        receipts = {(r["participant_id"], r["event_id"]): dict(r) for r in session.execute(
            select(RECEIPTS).where(RECEIPTS.c.participant_id.in_(people),
                                   RECEIPTS.c.event_id.in_(event_ids))).mappings()}
    live = LiveCall(call, notice, now, counts, people, receipts, set(counts),
                    notice_id=row["notice_id"], ledger_before=call["ledger_seq"],
                    has_webhooks=bool(row["has_webhooks"]))
    live.gate_before = live.gate()["recording_allowed"]
    erasing = {c.participant_id for c in commands if isinstance(c, Erase)}
    if erasing:
        live.erased = set(session.scalars(select(EVENTS.c.participant_id).where(
            EVENTS.c.call_id == call_id, EVENTS.c.participant_id.in_(erasing),
            EVENTS.c.state == ERASED)))
    for change in changes:
        live.versions[change.version] = notice_version(session, live.notice_id,
                                                       change.version)
    return live


def save(session: Session, live: LiveCall) -> None:
    """Write everything the batch changed: a dozen statements whatever its size."""
    call = live.call
    new = [p for p in live.people.values() if p.new]
    if new:
        session.execute(insert(PEOPLE), [p.row for p in new])
        session.execute(insert(STATES), [{"participant_id": p.id, "purpose": key,
                                          "state": state}
                                         for p in new for key, state in p.states.items()])
    changed = [p for p in live.people.values() if p.changed and not p.new]
    if any(p.erased for p in changed):
        scrub_after_commit(session)
    if changed:
        session.execute(
            update(PEOPLE).where(PEOPLE.c.id == bindparam("pid"))
            .values({name: bindparam(f"v_{name}") for name in PERSON_COLUMNS}),
            [{"pid": p.id, **{f"v_{name}": p.row[name] for name in PERSON_COLUMNS}}
             for p in changed])
    if live.changed_states:
        session.execute(
            update(STATES).where(STATES.c.participant_id == bindparam("pid"),
                                 STATES.c.purpose == bindparam("key"))
            .values(state=bindparam("new_state")),
            [{"pid": pid, "key": key, "new_state": state}
             for (pid, key), state in live.changed_states.items()])
    if live.dropped_states:
        session.execute(
            delete(STATES).where(STATES.c.participant_id == bindparam("pid"),
                                 STATES.c.purpose == bindparam("key")),
            [{"pid": pid, "key": key} for pid, key in sorted(live.dropped_states)])
    if live.added_states:
        session.execute(insert(STATES), [
            {"participant_id": pid, "purpose": key, "state": live.people[pid].states[key]}
            for pid, key in sorted(live.added_states)])
    if live.events:
        session.execute(insert(EVENTS), live.events)
    if live.new_receipts:
        session.execute(insert(RECEIPTS), live.new_receipts)
    if live.ended_now:
        # Everyone leaves, also those no command of this batch named.
        session.execute(update(PEOPLE).where(PEOPLE.c.call_id == live.id).values(
            present=False, connections=0, blocking_since=None))
    if live.updates:
        session.execute(insert(UPDATES), live.updates)
    if live.updates and live.has_webhooks:
        # The outbox, in this same transaction: one query for the organisation's endpoints.
        endpoints = outbox.subscribers(session, call["organisation_id"])
        if endpoints:
            outbox.write(session, endpoints, live.id, events_of(live))
    _save_counts(session, live)
    values = {name: call[name] for name in (
        "status", "ended_at", "ledger_seq", "ledger_head", "update_seq", "participant_count",
        "present_count", "blocking_count")}
    if live.notice.version_id != call["notice_version_id"]:  # a notice change
        values["notice_version_id"] = call["notice_version_id"] = live.notice.version_id
    session.execute(update(CALLS).where(CALLS.c.id == live.id).values(values))


def _save_counts(session: Session, live: LiveCall) -> None:
    known = [{"cid": live.id, "p": p, "s": s, "n": n}
             for (p, s), n in live.counts.items() if (p, s) in live.counted]
    fresh = [{"call_id": live.id, "purpose": p, "state": s, "count": n}
             for (p, s), n in live.counts.items() if (p, s) not in live.counted]
    if known:
        session.execute(
            update(COUNTS).where(COUNTS.c.call_id == bindparam("cid"),
                                 COUNTS.c.purpose == bindparam("p"),
                                 COUNTS.c.state == bindparam("s"))
            .values(count=bindparam("n")), known)
    if fresh:
        session.execute(insert(COUNTS), fresh)
    live.counted.update(live.counts)
