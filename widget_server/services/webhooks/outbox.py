"""The outbox: deliveries written in the same transaction as the change they report, so none
is lost on a crash and none is sent for a change that was not committed (CONTRACT §D).

One query per write finds the organisation's endpoints; nothing more is done when it has none.
"""

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from widget_server.domain.ids import utcnow
from widget_server.domain.models import WebhookDelivery, WebhookEndpoint, table

DELIVERIES, ENDPOINTS = table(WebhookDelivery), table(WebhookEndpoint)
NO_CALL = "-"  # the stream of events about no call


@dataclass(frozen=True)
class Event:
    """One event to report: its type, when it happened, its pseudonymous data."""

    type: str
    at: datetime
    data: dict[str, Any]


def subscribers(session: Session, organisation_id: str) -> list[tuple[str, frozenset[str]]]:
    """The organisation's endpoints and the event types each wants."""
    return [(endpoint_id, frozenset(events)) for endpoint_id, events in session.execute(
        select(ENDPOINTS.c.id, ENDPOINTS.c.events)
        .where(ENDPOINTS.c.organisation_id == organisation_id))]


def body(event: Event) -> str:
    """The JSON body sent (and signed), exactly as stored."""
    return json.dumps({"type": event.type, "timestamp": event.at.isoformat(),
                       "data": event.data}, separators=(",", ":"), sort_keys=True)


WRITTEN = "webhook_outbox_written"  # session.info: this transaction wrote deliveries


def write(session: Session, endpoints: list[tuple[str, frozenset[str]]],
          call_id: str | None, events: list[Event]) -> int:
    """Add a delivery per event and endpoint subscribed to it, in the caller's transaction;
    returns how many."""
    rows: list[dict[str, Any]] = []
    due = utcnow()  # (an event's own time may be given by the caller, as purge's is)
    for event in events:
        wanting = [endpoint_id for endpoint_id, types in endpoints if event.type in types]
        if not wanting:
            continue
        text = body(event)
        rows += [{"message_id": f"msg_{uuid.uuid4().hex}", "endpoint_id": endpoint_id,
                  "call_id": call_id, "stream": call_id or NO_CALL, "event_type": event.type,
                  "body": text, "created_at": event.at, "status": "pending", "attempts": 0,
                  "next_attempt_at": due} for endpoint_id in wanting]
    if rows:
        session.execute(insert(DELIVERIES), rows)
        # Read after the commit (live.Applied.webhooks): only then is the sender woken.
        session.info[WRITTEN] = True
    return len(rows)


def record(session: Session, organisation_id: str, call_id: str | None,
           events: list[Event]) -> int:
    """Write these events for whichever of the organisation's endpoints want them."""
    if not events:
        return 0
    endpoints = subscribers(session, organisation_id)
    return write(session, endpoints, call_id, events) if endpoints else 0
