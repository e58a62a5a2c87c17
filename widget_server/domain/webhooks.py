"""Webhooks (CONTRACT §D, Standard Webhooks): the event types, what an endpoint's URL may look
like before anything is resolved, the signature, and the retry schedule.

The signature is exactly the Standard Webhooks one: `v1,` + base64 of HMAC-SHA256 over
`{webhook-id}.{webhook-timestamp}.{body}`, keyed by the base64-decoded part of the `whsec_`
secret, so a receiver can verify it with the `standardwebhooks` package.
"""

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from urllib.parse import SplitResult, urlsplit

from widget_server.domain.errors import ValidationFailed

EVENT_TYPES = ("participant.joined", "participant.left", "decision.recorded", "gate.changed",
               "call.ended", "participant.erased", "retention.purged", "notice.changed")
# Host update kinds (services/live) and the event each one is sent as; gate.changed is derived.
EVENT_OF_UPDATE = {"joined": "participant.joined", "left": "participant.left",
                   "decision": "decision.recorded", "call_ended": "call.ended",
                   "erased": "participant.erased", "notice_changed": "notice.changed"}
MAX_URL_LENGTH = 2048
SECRET_PREFIX = "whsec_"  # noqa: S105 (the prefix the spec names, not a secret)
SECRET_BYTES = 32  # above the 24 the spec asks as a minimum

# Default retry schedule after a failed attempt (seconds); the last step repeats until the
# retry window (24 h after the first attempt) has passed.
DEFAULT_BACKOFF = (5.0, 30.0, 120.0, 600.0, 3600.0, 10800.0, 21600.0)
RETRY_WINDOW = 24 * 3600.0


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value for one attempt."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def checked_events(events: list[str]) -> list[str]:
    """The event types asked for, each known, without repeats (in the order given)."""
    unknown = [e for e in events if e not in EVENT_TYPES]
    if unknown:
        raise ValidationFailed(
            f"Unknown event type {unknown[0]!r}.",
            fields={"events": [f"Unknown event type {e!r}; known: {', '.join(EVENT_TYPES)}."
                               for e in unknown]})
    if not events:
        raise ValidationFailed("Name at least one event type.",
                               fields={"events": ["Name at least one event type."]})
    return list(dict.fromkeys(events))


def url_refused(reason: str) -> ValidationFailed:
    return ValidationFailed(f"This webhook URL is refused: {reason}", fields={"url": [reason]})


def parsed_url(url: str, allow_http: bool) -> SplitResult:
    """The URL's parts once its form is acceptable (no address is looked at here)."""
    if len(url) > MAX_URL_LENGTH:
        raise url_refused(f"Longer than {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise url_refused("Not a valid URL.") from None
    if parts.scheme not in ("https", "http"):
        raise url_refused("Must start with https://.")
    if parts.scheme == "http" and not allow_http:
        raise url_refused("Must be https:// (http:// is allowed only to loopback, and only "
                          "when the server allows it).")
    if parts.username is not None or parts.password is not None:
        raise url_refused("Must not carry credentials (user:password@); authenticate "
                          "deliveries with the signature.")
    if not parts.hostname:
        raise url_refused("Names no host.")
    if port == 0:
        raise url_refused("Port 0 is not a port.")
    if parts.fragment:
        raise url_refused("Must not have a fragment (#…).")
    return parts


def next_attempt(failures: int, give_up_at: datetime, now: datetime,
                 backoff: tuple[float, ...] = DEFAULT_BACKOFF) -> datetime | None:
    """When to try again after the `failures`-th failed attempt in a row, or None when that
    is past `give_up_at` (the delivery has failed). The schedule's last step repeats."""
    step = backoff[min(failures, len(backoff)) - 1] if backoff else 0.0
    due = now + timedelta(seconds=step)
    return None if due > give_up_at else due
