"""The live plan of a processing grant (CONTRACT §D), and the processors' acknowledgements.

`plan` answers a grant's holder; `plans_of_call` computes, in one read, the plans of every
purpose that has a processor (what the live push sends after each change); `record_applied`
keeps which plan a processor follows and how long after the change it said so.
"""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from widget_server.domain.errors import NotFound, ValidationFailed
from widget_server.domain.gate import recording_allowed
from widget_server.domain.ids import utcnow
from widget_server.domain.models import Call, CallUpdate, Grant, Participant, PurposeState
from widget_server.domain.notice import DATA_CATEGORIES
from widget_server.domain.processing import Subject, plan_for
from widget_server.services.grants import PROCESSOR, GrantIdentity
from widget_server.services.live.notices import notice_of_call

_FIELDS = sorted(DATA_CATEGORIES)


def plan(session: Session, grant: GrantIdentity) -> dict[str, Any]:
    """The plan of the grant's call and purpose now."""
    assert grant.purpose is not None  # processor grants always have one
    return plans_of_call(session, grant.call_id, {grant.purpose})[grant.purpose]


def processor_purposes(session: Session, call_id: str) -> set[str]:
    """Purposes of the call that have a processor (a grant not revoked)."""
    return {p for p in session.scalars(
        select(Grant.purpose).where(Grant.call_id == call_id, Grant.role == PROCESSOR,
                                    Grant.revoked_at.is_(None)).distinct()) if p}


def plans_of_call(session: Session, call_id: str, purposes: set[str]
                  ) -> dict[str, dict[str, Any]]:
    """The plan of each of these purposes of the call, from one consistent read."""
    call = session.execute(select(Call.update_seq, Call.status, Call.present_count,
                                  Call.blocking_count).where(Call.id == call_id)).first()
    if call is None:
        raise NotFound(f"No call {call_id}.")
    if not purposes:
        return {}
    notice = notice_of_call(session, call_id)
    gate = recording_allowed(call.status == "open", call.present_count, call.blocking_count)
    states: dict[tuple[str, str], str] = {
        (pid, key): state for pid, key, state in session.execute(
            select(PurposeState.participant_id, PurposeState.purpose, PurposeState.state)
            .join(Participant, Participant.id == PurposeState.participant_id)
            .where(Participant.call_id == call_id, PurposeState.purpose.in_(purposes)))}
    rows = session.execute(
        select(Participant.id, Participant.ref, Participant.present,
               *(getattr(Participant, name) for name in _FIELDS))
        .where(Participant.call_id == call_id).order_by(Participant.number)).all()
    plans = {}
    for key in sorted(purposes):
        subjects = [Subject(row.id, row.ref, bool(row.present), states.get((row.id, key)),
                            {name: getattr(row, name) for name in _FIELDS
                             if getattr(row, name)})
                    for row in rows]
        plans[key] = {"seq": call.update_seq, "call_id": call_id,
                      **plan_for(key, notice.by_key.get(key), gate, subjects)}
    return plans


def record_applied(session: Session, grant: GrantIdentity, seq: int) -> dict[str, Any]:
    """The processor follows plan `seq` now: kept with when, and how long after the change
    that made that plan (its host update's time). An older seq than one already confirmed
    changes nothing (acknowledgements may cross). Commits once."""
    row = session.scalar(select(Grant).where(Grant.id == grant.id).with_for_update())
    current = session.scalar(select(Call.update_seq).where(Call.id == grant.call_id))
    if row is None or current is None:
        raise NotFound("No such grant.")
    if seq > current:
        raise ValidationFailed(f"There is no plan {seq} yet (the latest is {current}).",
                               fields={"seq": [f"At most {current}."]})
    if row.last_applied_seq is None or seq >= row.last_applied_seq:
        now = utcnow()
        changed_at = session.scalar(select(CallUpdate.created_at).where(
            CallUpdate.call_id == grant.call_id, CallUpdate.seq == seq)) if seq else None
        row.last_applied_seq, row.applied_at = seq, now
        row.applied_delay_ms = (None if changed_at is None else
                                max(0, round((now - changed_at).total_seconds() * 1000)))
        session.commit()
    else:
        session.rollback()
    return processor_view(row)


def processors(session: Session, call_id: str) -> list[dict[str, Any]]:
    """The call's processors for its hosts: name, purpose, the plan each last applied and how
    long after the change (no tokens, no personal data)."""
    return [processor_view(g) for g in session.scalars(
        select(Grant).where(Grant.call_id == call_id, Grant.role == PROCESSOR)
        .order_by(Grant.created_at, Grant.id))]


def processor_view(grant: Grant) -> dict[str, Any]:
    return {"id": grant.id, "name": grant.name, "purpose": grant.purpose,
            "revoked": grant.revoked_at is not None,
            "last_applied_seq": grant.last_applied_seq,
            "applied_at": None if grant.applied_at is None else grant.applied_at.isoformat(),
            "applied_delay_ms": grant.applied_delay_ms}
