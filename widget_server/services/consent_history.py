"""The call's consent over time, for the host dashboard's chart (CONTRACT §D, Statistics).

Read from the numbered host updates already stored (CallUpdate): each holds the call's summary
as it stood after that update. Only the summaries leave (counts per purpose and state, how
many present), never a participant: nothing personal, nothing a host does not already see.
"""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from widget_server.domain.errors import NotFound
from widget_server.domain.models import Call, CallUpdate

MAX_POINTS = 240  # enough for a chart a few hundred pixels wide


def summary_points(session: Session, call_id: str, limit: int = MAX_POINTS
                   ) -> dict[str, Any]:
    """`{"seq", "points": [{"seq", "at", "summary"}]}`, oldest first: at most `limit` updates
    spread evenly over the call's sequence, always with its first and its latest. Updates
    whose summary was removed (a sealed call) are left out."""
    call = session.get(Call, call_id)
    if call is None:
        raise NotFound(f"No call {call_id}.")
    last = call.update_seq
    if last <= 0:
        return {"seq": last, "points": []}
    if last <= limit:
        wanted = None
    else:
        step = (last - 1) / (limit - 1)
        wanted = sorted({1 + round(i * step) for i in range(limit)} | {last})
    query = select(CallUpdate.seq, CallUpdate.created_at, CallUpdate.snapshot).where(
        CallUpdate.call_id == call_id).order_by(CallUpdate.seq)
    if wanted is not None:
        query = query.where(CallUpdate.seq.in_(wanted))
    points = [{"seq": seq, "at": at.isoformat(), "summary": snapshot["summary"]}
              for seq, at, snapshot in session.execute(query)
              if isinstance(snapshot, dict) and isinstance(snapshot.get("summary"), dict)]
    return {"seq": last, "points": points}
