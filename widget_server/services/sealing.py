"""Sealing and proof retention (CONTRACT §C, Sealing).

Once every purpose's retention of an ended call has passed, nothing personal may stay: the call
is sealed. Its title and external_ref are blanked, its host updates deleted, its participants'
data fields emptied (retention has normally done that already); the pseudonymous ledger,
receipts, purpose states and signed checkpoints stay, as the proof of what was chosen.

That proof is kept for the organisation's `proof_retention_days` after the seal, then deleted,
leaving one closing checkpoint signed with the server's key over the final head (seq, hash) and
how many events the ledger held: `verify-ledger` can still tell that this call's ledger ended
there and was deleted on purpose, not tampered with.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from widget_server.domain.ids import utcnow
from widget_server.domain.models import (
    Call,
    CallUpdate,
    Checkpoint,
    DecisionEvent,
    NoticeVersion,
    Organisation,
    Participant,
    PurposeState,
    Receipt,
    StateCount,
    WebhookDelivery,
)
from widget_server.domain.notice import DATA_CATEGORIES, purposes_of
from widget_server.domain.signing import KeyRing
from widget_server.services import checkpoints, ledger
from widget_server.services.database import scrub_after_commit
from widget_server.services.webhooks import outbox
from widget_server.services.webhooks.outbox import Event


@dataclass
class ProofReport:
    """Counts only, like retention's."""

    sealed: int = 0
    proofs_deleted: int = 0
    # Calls whose ledger did not verify: their proof is kept (evidence), never closed over.
    refused: list[str] = field(default_factory=list)


def seal_due(call_ended_at: datetime, content: dict[str, object]) -> datetime:
    """When a call ended at `call_ended_at` is sealed: once the longest retention of its
    notice's purposes has passed (the same moment decisions after the end stop)."""
    days = max((p.retention_days for p in purposes_of(content)), default=0)
    return call_ended_at + timedelta(days=days)


def seal(session: Session, now: datetime | None = None) -> int:
    """Seal every ended call whose purposes' retention has all passed. Run after
    retention.purge (which erases the fields on their own schedule); the fields are emptied
    here too, so a sealed call holds none whatever happened before. Idempotent (a sealed call
    is not looked at again). Commits once; returns how many calls were sealed."""
    now = now or utcnow()
    rows = session.execute(
        select(Call, NoticeVersion.content).join(NoticeVersion)
        .where(Call.ended_at.is_not(None), Call.sealed_at.is_(None))
        .with_for_update(of=Call)).all()
    sealed = 0
    for call, content in rows:
        assert call.ended_at is not None
        if now < seal_due(call.ended_at, content):
            continue
        session.execute(update(Participant).where(Participant.call_id == call.id)
                        .values({**dict.fromkeys(sorted(DATA_CATEGORIES)), "ref": None}))
        # Host updates are for the live dashboard and its catch-up; a sealed call has neither.
        session.execute(delete(CallUpdate).where(CallUpdate.call_id == call.id))
        call.title, call.external_ref = "", None
        call.purged_fields, call.retention_done = sorted(DATA_CATEGORIES), True
        call.sealed_at = now
        outbox.record(session, call.organisation_id, call.id, [Event(
            "retention.purged", now, {"call_id": call.id, "stage": "sealed"})])
        sealed += 1
    if sealed:  # the blanked title and fields leave the disk too (services/scrub.py)
        scrub_after_commit(session)
    session.commit()
    return sealed


def delete_proofs(session: Session, ring: KeyRing, now: datetime | None = None
                  ) -> ProofReport:
    """Delete the proof of every sealed call whose organisation's proof_retention_days have
    passed since the seal: its ledger, receipts, checkpoints, participants and their states,
    and its summary counts, leaving the call row (blank) and one closing checkpoint signed now
    over its final head and event count. A call whose ledger does not verify is left alone and
    named in `refused` (its proof is evidence of the tampering). Each call is deleted in a
    transaction of its own."""
    now = now or utcnow()
    report = ProofReport()
    due = session.execute(
        select(Call.id, Call.sealed_at, Organisation.proof_retention_days)
        .join(Organisation, Organisation.id == Call.organisation_id)
        .where(Call.sealed_at.is_not(None), Call.proof_deleted_at.is_(None))
        .order_by(Call.sealed_at)).all()
    session.rollback()  # the reads above take no lock the deletions would wait behind
    for call_id, sealed_at, days in due:
        if sealed_at is None or now < sealed_at + timedelta(days=days):
            continue
        if _delete_proof(session, ring, call_id, now):
            report.proofs_deleted += 1
        else:
            report.refused.append(call_id)
    return report


def _delete_proof(session: Session, ring: KeyRing, call_id: str, now: datetime) -> bool:
    call = session.scalar(select(Call).where(Call.id == call_id).with_for_update())
    if call is None or call.proof_deleted_at is not None:
        session.rollback()
        return True  # deleted meanwhile by another process
    verdict = ledger.verify(session, call_id, ring.public_keys())
    if not verdict.ok:
        session.rollback()
        return False
    events = int(session.scalar(select(func.count()).select_from(DecisionEvent)
                                .where(DecisionEvent.call_id == call_id)) or 0)
    people = select(Participant.id).where(Participant.call_id == call_id)
    session.execute(delete(Receipt).where(Receipt.participant_id.in_(people)))
    session.execute(delete(PurposeState).where(PurposeState.participant_id.in_(people)))
    session.execute(delete(DecisionEvent).where(DecisionEvent.call_id == call_id))
    session.execute(delete(Checkpoint).where(Checkpoint.call_id == call_id))
    session.execute(delete(CallUpdate).where(CallUpdate.call_id == call_id))
    session.execute(delete(Participant).where(Participant.call_id == call_id))
    session.execute(delete(StateCount).where(StateCount.call_id == call_id))
    checkpoints.add_closing(session, ring, call_id, call.ledger_seq, call.ledger_head, events,
                            now)
    # The delivery log of the call's events goes with its proof; only what is still to be
    # sent stays, and the news that the proof is gone.
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.call_id == call_id,
                                                  WebhookDelivery.status != "pending"))
    outbox.record(session, call.organisation_id, call_id, [Event(
        "retention.purged", now, {"call_id": call_id, "stage": "proof_deleted",
                                  "events": events})])
    call.proof_deleted_at = now
    scrub_after_commit(session)
    session.commit()
    return True
