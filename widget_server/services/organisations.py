"""Organisations (clients) and their API keys."""

import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from widget_server.domain.errors import NotFound, Unauthorized, ValidationFailed
from widget_server.domain.ids import digest, new_id, new_secret, same_digest, utcnow
from widget_server.domain.models import ApiKey, Organisation
from widget_server.domain.origins import normalise_origin

KEY_PREFIX = "wsk"
# How long a sealed call's pseudonymous proof is kept (CONTRACT §C, Sealing): at least a day,
# at most ten years (the longest retention a purpose may have).
PROOF_RETENTION_DAYS = (1, 3650)


def create_organisation(session: Session, name: str, origins: list[str]) -> tuple[str, str]:
    """Create an organisation allowed to embed on `origins`; returns (id, api key).

    The key is returned once and stored only as a hash. Commits once.
    """
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationFailed("The organisation needs a name of 1 to 200 characters.",
                               fields={"name": ["1 to 200 characters."]})
    if not origins:
        raise ValidationFailed("At least one embed origin is needed.",
                               fields={"origins": ["At least one origin."]})
    normalised = sorted({normalise_origin(o) for o in origins})
    now = utcnow()
    organisation = Organisation(id=new_id("org"), name=name, origins=normalised, created_at=now)
    prefix, secret = secrets.token_hex(4), new_secret(24)
    session.add(organisation)
    session.flush()  # the key's foreign key needs the organisation row first
    session.add(ApiKey(organisation_id=organisation.id, prefix=prefix,
                       secret_hash=digest(secret), created_at=now))
    session.commit()
    return organisation.id, f"{KEY_PREFIX}_{prefix}_{secret}"


def authenticate(session: Session, api_key: str) -> str:
    """The organisation id an API key belongs to; Unauthorized otherwise (same answer for all)."""
    parts = api_key.split("_", 2) if api_key else []
    refused = Unauthorized("A valid API key is required.")
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        raise refused
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
    if key is None or not same_digest(parts[2], key.secret_hash):
        raise refused
    return key.organisation_id


def embed_origins(session: Session, organisation_id: str) -> list[str]:
    organisation = session.get(Organisation, organisation_id)
    return list(organisation.origins) if organisation else []


def all_embed_origins(session: Session) -> set[str]:
    """Every origin any organisation may embed on: the Socket.IO CORS allow-list."""
    return {o for origins in session.scalars(select(Organisation.origins)) for o in origins}


def origins_by_organisation(session: Session) -> dict[str, frozenset[str]]:
    """Each organisation's embed origins: what a page may use its tokens from."""
    rows = session.execute(select(Organisation.id, Organisation.origins))
    return {org_id: frozenset(origins) for org_id, origins in rows}


def settings(session: Session, organisation_id: str) -> dict[str, Any]:
    """The organisation as its API key sees it; NotFound if it does not exist."""
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound("No such organisation.")
    return {"id": organisation.id, "name": organisation.name,
            "origins": list(organisation.origins), "created_at": organisation.created_at,
            "proof_retention_days": organisation.proof_retention_days}


def set_proof_retention(session: Session, organisation_id: str, days: int) -> dict[str, Any]:
    """Keep sealed calls' proof `days` days (from each call's seal; applies to calls already
    sealed too). Refuses anything but an integer in PROOF_RETENTION_DAYS, storing nothing.
    Commits once."""
    low, high = PROOF_RETENTION_DAYS
    if isinstance(days, bool) or not isinstance(days, int) or not low <= days <= high:
        message = f"A whole number of days from {low} to {high}."
        raise ValidationFailed(f"proof_retention_days: {message}",
                               fields={"proof_retention_days": [message]})
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound("No such organisation.")
    organisation.proof_retention_days = days
    session.commit()
    return settings(session, organisation_id)
