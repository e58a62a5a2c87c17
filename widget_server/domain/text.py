"""Strings from clients, checked at the edge (DESIGN §2): what no database can store is refused
on its own, naming the field, before it can reach a shared transaction.

A lone UTF-16 surrogate cannot be encoded for SQLite or PostgreSQL, and PostgreSQL refuses NUL:
either failed whole group commits across organisations before this check existed.
"""

import re
from typing import Any

from widget_server.domain.errors import ValidationFailed

# Matched with fullmatch: `$` would also match before a trailing newline.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def problem_of(value: str, max_length: int) -> str | None:
    """Why a string cannot be taken, or None."""
    if len(value) > max_length:
        return f"At most {max_length} characters."
    if "\x00" in value:
        return "Contains a NUL character."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "Contains a lone surrogate (not valid Unicode text)."
    return None


def storable(value: Any, name: str, max_length: int) -> str:
    """`value` if it is text any database can store, else ValidationFailed naming `name`."""
    if not isinstance(value, str):
        raise ValidationFailed(f"{name} must be text.", fields={name: ["Not text."]})
    problem = problem_of(value, max_length)
    if problem is not None:
        raise ValidationFailed(f"{name} cannot be stored: {problem}", fields={name: [problem]})
    return value


def is_storable(value: Any, max_length: int) -> bool:
    return isinstance(value, str) and problem_of(value, max_length) is None


def event_uuid(value: Any, name: str = "event_id") -> str:
    """A client-chosen id that reaches the permanent ledger: a UUID in canonical text form,
    never free text (which could carry personal data into a record that is never purged)."""
    if not isinstance(value, str) or not _UUID.fullmatch(value):
        raise ValidationFailed(f"{name} must be a UUID (e.g. from crypto.randomUUID()).",
                               fields={name: ["A UUID in canonical text form."]})
    return value.lower()
