"""Processing grants (CONTRACT §D, §E): tokens the client's systems act with, each for one
call and one role: a processor (recording bot, transcriber, notes mailer) for one purpose of
the call's notice, or the call's phone bridge (telephony, no purpose).

A token is `<grant id>.<secret>`, shown once; only a digest of the secret is kept. Checking
one costs the same work whatever is wrong with it (a hash and a constant-time comparison,
against a stand-in digest when no grant is found), and every refusal is the same refusal,
whether the token is malformed, unknown, revoked, of another role or holds a wrong secret.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from widget_server.domain.errors import CallEnded, NotFound, Unauthorized, ValidationFailed
from widget_server.domain.ids import digest, is_id, new_id, new_secret, same_digest, utcnow
from widget_server.domain.models import Call, Grant
from widget_server.services.live.notices import notice_of_call

PROCESSOR = "processor"
TELEPHONY = "telephony"
ROLES = (PROCESSOR, TELEPHONY)
PREFIX = "grt"
MAX_TOKEN = 200  # an id (36) and a secret (32): anything far longer is not one
REFUSAL = "Send a grant token of this call as 'Authorization: Bearer <token>'."
_STAND_IN = digest("no grant has this secret")


@dataclass(frozen=True)
class GrantIdentity:
    """Who a genuine grant token speaks for."""

    id: str
    call_id: str
    purpose: str | None
    role: str
    name: str


def create_grant(session: Session, organisation_id: str, call_id: str, *, name: str,
                 purpose: str | None, role: str = PROCESSOR) -> dict[str, Any]:
    """A new grant of an open call of the organisation, with its token (shown this once).

    A processor's purpose must be one of the call's current notice; telephony has none.
    Commits once."""
    call = _own_call(session, organisation_id, call_id)
    if call.status != "open":
        raise CallEnded("The call has ended: no grant can be made for it any more.")
    if role == PROCESSOR:
        keys = notice_of_call(session, call_id).by_key
        if purpose is None:
            raise ValidationFailed("A processor grant needs the purpose it processes for.",
                                   fields={"purpose": ["Required for role 'processor'."]})
        if purpose not in keys:
            raise ValidationFailed(f"The call's notice has no purpose {purpose!r}.", fields={
                "purpose": [f"One of: {', '.join(sorted(keys))}."]})
    elif purpose is not None:
        raise ValidationFailed("A telephony grant is for the whole call: purpose must be null.",
                               fields={"purpose": ["Must be null for role 'telephony'."]})
    secret = new_secret()
    grant = Grant(id=new_id(PREFIX), call_id=call_id, role=role, purpose=purpose, name=name,
                  token_hash=digest(secret), created_at=utcnow())
    session.add(grant)
    session.commit()
    return {**grant_view(grant), "token": f"{grant.id}.{secret}"}


def list_grants(session: Session, organisation_id: str, call_id: str) -> list[dict[str, Any]]:
    """The call's grants, oldest first, revoked ones too (never their tokens)."""
    _own_call(session, organisation_id, call_id)
    return [grant_view(g) for g in session.scalars(
        select(Grant).where(Grant.call_id == call_id).order_by(Grant.created_at, Grant.id))]


def revoke_grant(session: Session, organisation_id: str, call_id: str, grant_id: str
                 ) -> dict[str, Any]:
    """Revoke a grant: its token stops working at once. Revoking a revoked grant changes
    nothing. Commits once."""
    _own_call(session, organisation_id, call_id)
    grant = session.scalar(select(Grant).where(Grant.id == grant_id, Grant.call_id == call_id))
    if grant is None:
        raise NotFound(f"No grant {grant_id} of this call.")
    if grant.revoked_at is None:
        grant.revoked_at = utcnow()
        session.commit()
    return grant_view(grant)


def authenticate(session: Session, token: str | None, role: str) -> GrantIdentity:
    """The grant a token proves, if it is genuine, not revoked and of `role`; Unauthorized
    (always the same) otherwise."""
    grant_id, secret = _parts(token)
    grant = session.get(Grant, grant_id) if grant_id is not None else None
    genuine = same_digest(secret, grant.token_hash if grant is not None else _STAND_IN)
    if grant is None or not genuine or grant.revoked_at is not None or grant.role != role:
        raise Unauthorized(REFUSAL)
    return GrantIdentity(grant.id, grant.call_id, grant.purpose, grant.role, grant.name)


def revoked_among(session: Session, grant_ids: set[str]) -> set[str]:
    """Which of these grants are revoked (or gone): their connections are cut."""
    if not grant_ids:
        return set()
    live = set(session.scalars(select(Grant.id).where(Grant.id.in_(grant_ids),
                                                      Grant.revoked_at.is_(None))))
    return grant_ids - live


def grant_view(grant: Grant) -> dict[str, Any]:
    return {"id": grant.id, "call_id": grant.call_id, "role": grant.role,
            "purpose": grant.purpose, "name": grant.name, "created_at": grant.created_at,
            "revoked_at": grant.revoked_at, "last_applied_seq": grant.last_applied_seq,
            "applied_at": grant.applied_at, "applied_delay_ms": grant.applied_delay_ms}


def _parts(token: str | None) -> tuple[str | None, str]:
    """(grant id, secret), or (None, "") when the text cannot be a grant token."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN:
        return None, ""
    grant_id, dot, secret = token.strip().partition(".")
    if (not dot or not secret or not grant_id.startswith(f"{PREFIX}_") or not is_id(grant_id)
            or not secret.isascii()):
        return None, ""
    return grant_id, secret


def _own_call(session: Session, organisation_id: str, call_id: str) -> Call:
    call = session.scalar(select(Call).where(Call.id == call_id,
                                             Call.organisation_id == organisation_id))
    if call is None:
        raise NotFound(f"No call {call_id}.")
    return call
