"""Signed tokens scoped to one call and one role.

A widget token lets its holder join one call as a participant; a host token lets its holder
watch one call. Both are signed with the server's secret key; neither names a person. Their life
is bound to the call: a widget token stops working when the call ends, a host token a day later.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

from widget_server.domain.errors import CallEnded, InvalidToken, TokenExpired, WrongRole

WIDGET = "widget"
HOST = "host"
HOST_GRACE = timedelta(hours=24)
_SALT = "call-token-v1"


@dataclass(frozen=True)
class CallToken:
    call_id: str
    role: str


def issue(secret_key: str, call_id: str, role: str) -> str:
    return str(URLSafeSerializer(secret_key, salt=_SALT).dumps({"c": call_id, "r": role}))


def read(secret_key: str, token: object, role: str) -> CallToken:
    """Verify the signature and role. Whether the call still accepts it is `check_life`'s job."""
    if not isinstance(token, str) or not token or len(token) > 512:
        raise InvalidToken("A call token is required.")
    if not token.isascii():  # tokens are URL-safe ASCII; a lone surrogate cannot even be encoded
        raise InvalidToken("The token is not valid.")
    try:
        payload = URLSafeSerializer(secret_key, salt=_SALT).loads(token)
    except BadSignature:
        raise InvalidToken("The token is not valid.") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("c"), str):
        raise InvalidToken("The token is not valid.")
    if payload.get("r") != role:
        raise WrongRole(f"This token is not a {role} token.")
    return CallToken(call_id=payload["c"], role=role)


def check_life(role: str, ended_at: datetime | None, now: datetime) -> None:
    if ended_at is None:
        return
    if role == WIDGET:
        raise CallEnded("The call has ended.")
    if now >= ended_at + HOST_GRACE:
        raise TokenExpired("The call ended over a day ago; this host token no longer works.")
