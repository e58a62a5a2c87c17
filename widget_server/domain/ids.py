"""Opaque identifiers and secrets."""

import hashlib
import re
import secrets
import uuid
from datetime import UTC, datetime

# Server-made ids look like "p_<32 hex>"; anything else can name nothing.
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def is_id(value: str) -> bool:
    """Whether `value` could be one of our ids (so it is safe to look up in any database)."""
    return _ID.fullmatch(value) is not None


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def new_secret(nbytes: int = 24) -> str:
    return secrets.token_urlsafe(nbytes)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def same_digest(secret: str, expected_digest: str) -> bool:
    return secrets.compare_digest(digest(secret), expected_digest)


def utcnow() -> datetime:
    return datetime.now(UTC)
