"""Sending the outbox (CONTRACT §D): in order per call and endpoint, retried with backoff for
24 h after the first attempt, one attempt at a time per row across processes.

A row is sent only when no earlier row of its stream (the same endpoint and call) is still
pending, so a call's events arrive in the order they were committed. claim() leases rows with
a conditional UPDATE, so two processes never send the same row (on PostgreSQL the second
UPDATE waits for the first and then finds the lease taken); a process that died mid-attempt
lets its rows go when the lease runs out. The database work (claim, settle) is short and
separate from the HTTP attempt, which holds no transaction open.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from widget_server.domain.ids import utcnow
from widget_server.domain.models import WebhookDelivery, WebhookEndpoint
from widget_server.domain.webhooks import next_attempt
from widget_server.services.webhooks import Settings

D = WebhookDelivery


@dataclass(frozen=True)
class Claimed:
    """One row leased for an attempt, with what the attempt needs."""

    row_id: int
    message_id: str
    body: str
    url: str
    secret: str
    endpoint_id: str
    stream: str


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: the receiver's status (if any answer came) and why it was
    not a success (None when it was)."""

    status: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.error is None


def claim(session: Session, settings: Settings, limit: int, now: datetime | None = None,
          after: Claimed | None = None) -> list[Claimed]:
    """Lease up to `limit` rows that are due and first in their stream (only in the stream
    of `after`, the row just delivered, when given: its next goes at once); commits."""
    now = now or utcnow()
    earlier = aliased(D)
    free = or_(D.lease_until.is_(None), D.lease_until < now)
    query = select(D.id).where(
        D.status == "pending", D.next_attempt_at <= now, free,
        ~exists().where(and_(earlier.endpoint_id == D.endpoint_id,
                             earlier.stream == D.stream, earlier.status == "pending",
                             earlier.id < D.id)))
    if after is not None:
        query = query.where(D.endpoint_id == after.endpoint_id, D.stream == after.stream)
    heads = session.scalars(query.order_by(D.id).limit(limit)).all()
    if not heads:
        session.rollback()
        return []
    taken = session.scalars(
        update(D).where(D.id.in_(heads), D.status == "pending", free)
        .values(lease_until=now + timedelta(seconds=settings.lease))
        .returning(D.id)).all()
    rows = session.execute(
        select(D.id, D.message_id, D.body, WebhookEndpoint.url, WebhookEndpoint.secret,
               D.endpoint_id, D.stream)
        .join(WebhookEndpoint, WebhookEndpoint.id == D.endpoint_id)
        .where(D.id.in_(taken)).order_by(D.id)).all()
    session.commit()
    return [Claimed(*row) for row in rows]


def settle(session: Session, settings: Settings, claimed: Claimed, outcome: Outcome,
           now: datetime | None = None) -> str | None:
    """Record an attempt: delivered, to be retried (its next time) or failed for good.
    Returns the row's new status (None if the row is gone: its endpoint was deleted)."""
    now = now or utcnow()
    row = session.get(D, claimed.row_id, with_for_update=True)
    if row is None:
        session.rollback()
        return None
    row.attempts += 1
    row.last_attempt_at, row.last_status, row.last_error = now, outcome.status, outcome.error
    row.lease_until = None
    if row.first_attempt_at is None:
        row.first_attempt_at = now
    if row.give_up_at is None:
        row.give_up_at = row.first_attempt_at + timedelta(seconds=settings.retry_window)
    if outcome.delivered:
        row.status, row.delivered_at, row.next_attempt_at = "delivered", now, None
    else:
        row.next_attempt_at = next_attempt(row.attempts, row.give_up_at, now,
                                           settings.backoff)
        if row.next_attempt_at is None:
            row.status = "failed"
    status = row.status
    session.commit()
    return status



def prune(session: Session, before: datetime) -> int:
    """Forget the log of deliveries settled (delivered or failed) before `before`; commits."""
    result = session.execute(delete(D).where(D.status != "pending", D.created_at < before))
    session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
