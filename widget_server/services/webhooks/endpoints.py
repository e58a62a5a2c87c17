"""Webhook endpoints of an organisation and their delivery log (CONTRACT §D).

Another organisation's ids name nothing here (404). The secret is returned once, by register.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from widget_server.domain.errors import Conflict, NotFound
from widget_server.domain.ids import new_id, utcnow
from widget_server.domain.models import WebhookDelivery, WebhookEndpoint
from widget_server.domain.webhooks import checked_events, new_secret
from widget_server.services.webhooks import Settings, ssrf

DELIVERY_LOG_LIMIT = 100
# Every event is written once per endpoint wanting it, in the live transaction: bounded.
MAX_ENDPOINTS = 20


def register(session: Session, organisation_id: str, settings: Settings, url: str,
             events: list[str], description: str | None = None) -> dict[str, Any]:
    """A new endpoint, its URL checked (form and resolved addresses); with its secret."""
    wanted = checked_events(events)
    ssrf.check(url, settings.allow_http_loopback)
    held = session.scalar(select(func.count()).select_from(WebhookEndpoint)
                          .where(WebhookEndpoint.organisation_id == organisation_id)) or 0
    if held >= MAX_ENDPOINTS:
        raise Conflict(f"An organisation may have at most {MAX_ENDPOINTS} webhooks; delete "
                       "one first.")
    endpoint = WebhookEndpoint(id=new_id("wh"), organisation_id=organisation_id, url=url,
                               description=description, events=wanted, secret=new_secret(),
                               created_at=utcnow())
    session.add(endpoint)
    session.commit()
    return {**_endpoint(endpoint), "secret": endpoint.secret}


def list_endpoints(session: Session, organisation_id: str) -> list[dict[str, Any]]:
    rows = session.scalars(select(WebhookEndpoint)
                           .where(WebhookEndpoint.organisation_id == organisation_id)
                           .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id))
    return [_endpoint(row) for row in rows]


def get_endpoint(session: Session, organisation_id: str, endpoint_id: str) -> dict[str, Any]:
    return _endpoint(_owned(session, organisation_id, endpoint_id))


def remove(session: Session, organisation_id: str, endpoint_id: str) -> None:
    """Delete an endpoint with its outbox and log: nothing more is sent to it."""
    endpoint = _owned(session, organisation_id, endpoint_id)
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    session.delete(endpoint)
    session.commit()


def deliveries(session: Session, organisation_id: str, endpoint_id: str,
               status: str | None = None, limit: int = DELIVERY_LOG_LIMIT
               ) -> list[dict[str, Any]]:
    """The endpoint's delivery log, newest first."""
    endpoint = _owned(session, organisation_id, endpoint_id)
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    if status:
        query = query.where(WebhookDelivery.status == status)
    rows = session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit))
    return [delivery_view(row) for row in rows]


def retry(session: Session, organisation_id: str, endpoint_id: str, delivery_id: str,
          now: datetime | None = None) -> dict[str, Any]:
    """Send a delivery again now (the same webhook-id): one more attempt for one that
    failed or was delivered; a pending one is tried now instead of at its next time."""
    endpoint = _owned(session, organisation_id, endpoint_id)
    row = session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint.id,
        WebhookDelivery.message_id == delivery_id)).first()
    if row is None:
        raise NotFound("No such delivery of this webhook.")
    now = now or utcnow()
    if row.status != "pending":
        row.status = "pending"
        row.give_up_at = now  # one attempt: if it fails, the delivery is failed again
    row.next_attempt_at = now
    session.commit()
    return delivery_view(row)


def _owned(session: Session, organisation_id: str, endpoint_id: str) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.organisation_id != organisation_id:
        raise NotFound("No such webhook.")
    return endpoint


def _endpoint(row: WebhookEndpoint) -> dict[str, Any]:
    return {"id": row.id, "url": row.url, "description": row.description,
            "events": list(row.events), "created_at": row.created_at}


def delivery_view(row: WebhookDelivery) -> dict[str, Any]:
    return {"id": row.message_id, "event_type": row.event_type, "call_id": row.call_id,
            "status": row.status, "attempts": row.attempts, "last_status": row.last_status,
            "last_error": row.last_error, "created_at": row.created_at,
            "last_attempt_at": row.last_attempt_at,
            "next_attempt_at": row.next_attempt_at if row.status == "pending" else None,
            "delivered_at": row.delivered_at}
