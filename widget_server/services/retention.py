"""Retention: personal data is erased once every purpose that needed it has expired."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from widget_server.domain.ids import utcnow
from widget_server.domain.models import Call, NoticeVersion, Participant
from widget_server.domain.notice import DATA_CATEGORIES, purposes_of
from widget_server.services import metrics
from widget_server.services.database import scrub_after_commit
from widget_server.services.webhooks import outbox
from widget_server.services.webhooks.outbox import Event


@dataclass
class PurgeReport:
    """Counts only: a purge never reports the values it removed."""

    calls: int = 0
    values: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(sorted(DATA_CATEGORIES), 0))

    @property
    def total(self) -> int:
        return sum(self.values.values())


def purge(session: Session, now: datetime | None = None) -> PurgeReport:
    """Erase, in every ended call, each field whose purposes' retention has all run out.

    Idempotent: a field once purged from a call is marked so and not looked at again.
    Commits once.
    """
    now = now or utcnow()
    report = PurgeReport()
    calls = session.execute(
        select(Call, NoticeVersion.content).join(NoticeVersion)
        .where(Call.ended_at.is_not(None), Call.retention_done.is_(False))
        .with_for_update(of=Call)).all()
    for call, content in calls:
        assert call.ended_at is not None
        done = set(call.purged_fields)
        expired = {name for name in DATA_CATEGORIES - done
                   if now >= call.ended_at + timedelta(days=_retention(content, name))}
        if not expired:
            continue
        removed = 0
        for name in sorted(expired):
            column = getattr(Participant, name)
            result = session.execute(update(Participant)
                                     .where(Participant.call_id == call.id, column.is_not(None))
                                     .values({name: None}))
            report.values[name] += result.rowcount  # type: ignore[attr-defined]
            removed += result.rowcount  # type: ignore[attr-defined]
        report.calls += 1 if removed else 0
        call.purged_fields = sorted(done | expired)
        # Reported in this transaction (the outbox), by field names and counts only.
        outbox.record(session, call.organisation_id, call.id, [Event(
            "retention.purged", now, {"call_id": call.id, "stage": "personal_data",
                                      "fields": sorted(expired), "values": removed})])
        call.retention_done = set(call.purged_fields) >= DATA_CATEGORIES
    if report.total:
        scrub_after_commit(session)
    session.commit()
    metrics.PURGE_RUNS.inc()
    metrics.PURGED_VALUES.inc(report.total)
    return report


def _retention(content: dict[str, object], name: str) -> int:
    """Days after the call a field may be kept: the longest retention of the purposes needing
    it (a field no purpose needs is never stored; it counts as expired at once)."""
    days = [p.retention_days for p in purposes_of(content) if name in p.data]
    return max(days, default=0)
