"""A call's live state while a batch of use cases is applied to it (group commit).

Read once under the call's lock, changed in memory, written back once: the call's sequence
heads and gate counters, the per-state counts of the summary, and the numbered host updates.
"""

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from widget_server.domain.errors import DomainError, NotFound
from widget_server.domain.ids import utcnow
from widget_server.domain.models import (
    Call,
    CallUpdate,
    NoticeVersion,
    StateCount,
    table,
)
from widget_server.domain.notice import Purpose, purposes_of, render

UPDATES, COUNTS, CALLS = table(CallUpdate), table(StateCount), table(Call)


@dataclass
class NoticeInfo:
    version: int
    content_hash: str
    content: dict[str, Any]
    purposes: list[Purpose]
    rendered: dict[str, dict[str, Any]] = field(default_factory=dict)

    def render(self, language: str) -> dict[str, Any]:
        """The notice in one language, rendered once per process (versions never change)."""
        if language not in self.rendered:
            self.rendered[language] = render(self.content, language)
        return self.rendered[language]


# Versions are immutable, so a process may keep them. Keyed by content hash as well as id: an
# id alone is only unique within one database, and a database can be replaced under a process.
_notices: dict[tuple[str, int], NoticeInfo] = {}


@dataclass
class CallBatch:
    call: dict[str, Any]
    notice: NoticeInfo
    counts: dict[tuple[str, str], int]
    counted: set[tuple[str, str]]
    updates: list[dict[str, Any]] = field(default_factory=list)

    def count(self, purpose: str, state: str, delta: int) -> None:
        self.counts[(purpose, state)] = self.counts.get((purpose, state), 0) + delta

    def summary(self) -> dict[str, Any]:
        purposes: dict[str, dict[str, int]] = {}
        for (purpose, state), count in sorted(self.counts.items()):
            if count:
                purposes.setdefault(purpose, {})[state] = count
        return {"present": self.call["present_count"], "purposes": purposes}

    def gate(self) -> dict[str, Any]:
        call = self.call
        return {"recording_allowed": call["status"] == "open" and call["present_count"] > 0
                and call["blocking_count"] == 0, "blocking": call["blocking_count"]}

    def set_presence(self, person: dict[str, Any], present: bool) -> None:
        if person["present"] == present:
            return
        step = 1 if present else -1
        person["present"] = present
        self.call["present_count"] += step
        if not person["gate_ok"]:
            self.call["blocking_count"] += step

    def set_gate_ok(self, person: dict[str, Any], gate_ok: bool) -> None:
        if person["gate_ok"] != gate_ok and person["present"]:
            self.call["blocking_count"] += -1 if gate_ok else 1
        person["gate_ok"] = gate_ok

    def record_update(self, kind: str, person: dict[str, Any], states: dict[str, str],
                      now: datetime) -> dict[str, Any]:
        """Number the change, queue it for storage, and return it as hosts receive it."""
        self.call["update_seq"] += 1
        seq = self.call["update_seq"]
        shown = {"id": person["id"], "channel": person["channel"], "present": person["present"],
                 "state": dict(states), "updated_at": now.isoformat()}
        summary, gate = self.summary(), self.gate()
        self.updates.append({"call_id": self.call["id"], "seq": seq, "kind": kind,
                             "participant_id": person["id"], "created_at": now,
                             "snapshot": {"summary": summary, "gate": gate,
                                          "participant": {**shown, "number": person["number"]}}})
        label = person["display_name"] or f"Participant {person['number']}"
        return {"seq": seq, "kind": kind, "summary": summary, "gate": gate,
                "participant": {**shown, "label": label}}


Outcome = dict[str, Any] | DomainError
B = TypeVar("B")
R = TypeVar("R")


def per_call(requests: Sequence[R], call_of: Callable[[R], str],
             load: Callable[[str, list[R]], B | None], step: Callable[[B, R, datetime], Outcome],
             write: Callable[[B], None]) -> list[Outcome]:
    """Apply requests call by call, in their order within each call: load the call's state
    once, run each request's step (a refusal is its outcome and leaves nothing), write once.
    Outcomes come back in the order of the requests."""
    outcomes: list[Outcome | None] = [None] * len(requests)
    by_call: dict[str, list[int]] = defaultdict(list)
    for index, request in enumerate(requests):
        by_call[call_of(request)].append(index)
    now = utcnow()
    for call_id, indexes in by_call.items():
        batch = load(call_id, [requests[i] for i in indexes])
        for index in indexes:
            try:
                if batch is None:
                    raise NotFound(f"No call {call_id}.")
                outcomes[index] = step(batch, requests[index], now)
            except DomainError as err:
                outcomes[index] = err
        if batch is not None:
            write(batch)
    return [o for o in outcomes if o is not None]


def load_call(session: Session, call_id: str) -> CallBatch | None:
    """The call row, locked for the transaction, with its notice and summary counts."""
    call = session.execute(select(CALLS).where(CALLS.c.id == call_id)
                           .with_for_update()).mappings().first()
    if call is None:
        return None
    content_hash = session.scalar(select(NoticeVersion.content_hash)
                                  .where(NoticeVersion.id == call["notice_version_id"]))
    counts = {(purpose, state): count for purpose, state, count in session.execute(
        select(COUNTS.c.purpose, COUNTS.c.state, COUNTS.c.count)
        .where(COUNTS.c.call_id == call_id))}
    return CallBatch(dict(call), notice_info(session, call["notice_version_id"], content_hash),
                     counts, set(counts))


def notice_info(session: Session, version_id: int, content_hash: str | None) -> NoticeInfo:
    key = (str(content_hash), version_id)
    if key not in _notices:
        version = session.get(NoticeVersion, version_id)
        assert version is not None
        _notices[key] = NoticeInfo(version.version, version.content_hash, version.content,
                                   purposes_of(version.content))
    return _notices[key]


def write_call(session: Session, batch: CallBatch) -> None:
    """Store the batch's updates, counts and the call's heads and counters."""
    call = batch.call
    if batch.updates:
        session.execute(insert(UPDATES), batch.updates)
    known = [{"cid": call["id"], "p": p, "s": s, "n": n}
             for (p, s), n in batch.counts.items() if (p, s) in batch.counted]
    fresh = [{"call_id": call["id"], "purpose": p, "state": s, "count": n}
             for (p, s), n in batch.counts.items() if (p, s) not in batch.counted]
    if known:
        session.execute(
            update(COUNTS).where(COUNTS.c.call_id == bindparam("cid"),
                                 COUNTS.c.purpose == bindparam("p"),
                                 COUNTS.c.state == bindparam("s"))
            .values(count=bindparam("n")), known)
    if fresh:
        session.execute(insert(COUNTS), fresh)
    batch.counted.update(batch.counts)
    session.execute(update(CALLS).where(CALLS.c.id == call["id"]).values(
        ledger_seq=call["ledger_seq"], ledger_head=call["ledger_head"],
        update_seq=call["update_seq"], participant_count=call["participant_count"],
        present_count=call["present_count"], blocking_count=call["blocking_count"]))
