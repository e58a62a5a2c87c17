"""Webhooks at the REST edge (CONTRACT §D): registering an endpoint, reading it and its
delivery log."""

from marshmallow import fields, validate

from widget_server.domain.webhooks import EVENT_TYPES, MAX_URL_LENGTH
from widget_server.schemas.common import StrictSchema, safe_string

DELIVERY_STATUSES = ("pending", "delivered", "failed")
EVENTS_DOC = ("Event types to receive: " + ", ".join(f"`{e}`" for e in EVENT_TYPES) + ".")


class WebhookIn(StrictSchema):
    """An endpoint to register."""

    url = safe_string(1, MAX_URL_LENGTH, required=True, metadata={
        "description": f"https:// (at most {MAX_URL_LENGTH} characters), resolving to public "
                       "addresses only: private, loopback, link-local and other internal "
                       "addresses are refused, now and at every delivery. No credentials in "
                       "it. http:// to loopback only when the server allows it "
                       "(WIDGET_SERVER_ALLOW_HTTP_WEBHOOKS=1, for development)."})
    events = fields.List(
        fields.String(validate=validate.OneOf(
            EVENT_TYPES, error="Unknown event type {input!r}; known: {choices}.")),
        required=True, validate=validate.Length(min=1, max=len(EVENT_TYPES) * 2),
        metadata={"description": EVENTS_DOC})
    description = safe_string(0, 500, load_default=None, allow_none=True)


class WebhookOut(StrictSchema):
    """A registered endpoint (its secret is shown only when it is registered)."""

    id = fields.String(required=True)
    url = fields.String(required=True)
    description = fields.String(allow_none=True)
    events = fields.List(fields.String(), required=True)
    created_at = fields.DateTime(required=True)


class WebhookCreated(WebhookOut):
    secret = fields.String(required=True, metadata={
        "description": "`whsec_` + base64 of 32 random bytes: verify each delivery's "
                       "`webhook-signature` with it (Standard Webhooks). Shown only here."})


class DeliveryOut(StrictSchema):
    """One event sent (or to be sent) to the endpoint, and how its attempts went."""

    id = fields.String(required=True, metadata={
        "description": "The `webhook-id` of every attempt of this delivery."})
    event_type = fields.String(required=True)
    call_id = fields.String(allow_none=True)
    status = fields.String(required=True, metadata={
        "description": "`pending` (to be tried, or retried), `delivered` (a 2xx answer), or "
                       "`failed` (retries given up 24 h after the first attempt)."})
    attempts = fields.Integer(required=True)
    last_status = fields.Integer(allow_none=True, metadata={
        "description": "The HTTP status of the last answer; null when none came."})
    last_error = fields.String(allow_none=True, metadata={
        "description": "Why the last attempt failed (timeout, connection closed, a status, "
                       "a redirect not followed, an address refused); null after a success."})
    created_at = fields.DateTime(required=True)
    last_attempt_at = fields.DateTime(allow_none=True)
    next_attempt_at = fields.DateTime(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)


class DeliveriesQuery(StrictSchema):
    status = fields.String(validate=validate.OneOf(DELIVERY_STATUSES), metadata={
        "description": "Only deliveries in this status."})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000),
                           metadata={"description": "At most this many, newest first."})
