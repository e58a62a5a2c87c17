"""Calls nobody ended (CONTRACT §C): an open call past WIDGET_SERVER_MAX_CALL_HOURS is ended by
the server, through the live write path like any other end, so that retention starts."""

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from widget_server.domain.ids import utcnow
from widget_server.domain.models import Call


def overdue_calls(session: Session, max_hours: float, now: datetime | None = None
                  ) -> list[str]:
    """Ids of the open calls open longer than `max_hours`, oldest first. Open since the later
    of their creation and their planned start (`starts_at`): a call opened days ahead of its
    meeting is not ended before it begins. Reads only."""
    cutoff = (now or utcnow()) - timedelta(hours=max_hours)
    return list(session.scalars(
        select(Call.id).where(Call.status == "open", Call.created_at <= cutoff,
                              or_(Call.starts_at.is_(None), Call.starts_at <= cutoff))
        .order_by(Call.created_at, Call.id)))

