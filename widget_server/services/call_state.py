"""Shared pieces of the live state of a call: its lock, purposes, summary, gate and updates."""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from widget_server.domain.errors import NotFound
from widget_server.domain.models import Call, CallUpdate, NoticeVersion, Participant, StateCount


def lock_call(session: Session, call_id: str) -> Call:
    """The call row, locked for this transaction (PostgreSQL; SQLite's BEGIN IMMEDIATE already
    holds the database's write lock), so both per-call sequences stay gap-free."""
    call = session.scalar(select(Call).where(Call.id == call_id).with_for_update())
    if call is None:
        raise NotFound(f"No call {call_id}.")
    return call


def notice_of(session: Session, call: Call) -> NoticeVersion:
    version = session.get(NoticeVersion, call.notice_version_id)
    assert version is not None  # a foreign key guarantees it
    return version


def gate(call: Call) -> dict[str, Any]:
    return {"recording_allowed": call.status == "open" and call.present_count > 0
            and call.blocking_count == 0, "blocking": call.blocking_count}


def summary(session: Session, call: Call) -> dict[str, Any]:
    purposes: dict[str, dict[str, int]] = {}
    for row in session.scalars(select(StateCount).where(StateCount.call_id == call.id)):
        if row.count:
            purposes.setdefault(row.purpose, {})[row.state] = row.count
    return {"present": call.present_count, "purposes": purposes}


def participant_snapshot(participant: Participant, states: dict[str, str]) -> dict[str, Any]:
    return {"id": participant.id, "number": participant.number, "channel": participant.channel,
            "present": participant.present, "state": dict(states),
            "updated_at": participant.updated_at.isoformat()}


def label(number: int, display_name: str | None) -> str:
    """The host sees a name only where a purpose needs one (then it is held); else a pseudonym."""
    return display_name or f"Participant {number}"


def record_update(
    session: Session, call: Call, kind: str, participant: Participant | None,
    states: dict[str, str] | None, now: datetime,
) -> dict[str, Any]:
    """Number the change, store it for resync, and return the update as hosts receive it."""
    call.update_seq += 1
    snapshot: dict[str, Any] = {"summary": summary(session, call), "gate": gate(call)}
    if participant is not None:
        snapshot["participant"] = participant_snapshot(participant, states or {})
    session.add(CallUpdate(call_id=call.id, seq=call.update_seq, kind=kind,
                           participant_id=participant.id if participant else None,
                           snapshot=snapshot, created_at=now))
    return render_update(call.update_seq, kind, snapshot,
                         participant.display_name if participant else None)


def render_update(
    seq: int, kind: str, snapshot: dict[str, Any], display_name: str | None
) -> dict[str, Any]:
    update: dict[str, Any] = {"seq": seq, "kind": kind, "summary": snapshot["summary"],
                              "gate": snapshot["gate"]}
    if "participant" in snapshot:
        person = dict(snapshot["participant"])
        person["label"] = label(person.pop("number"), display_name)
        update["participant"] = person
    return update
