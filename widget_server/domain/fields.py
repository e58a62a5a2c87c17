"""Participant data: which fields a request may carry, and what a valid value looks like.

The allowed set always comes from the call's notice (see notice.fields_at_join and friends),
never from a hand-written list per form.
"""

import re
from typing import Any

import phonenumbers

from widget_server.domain.errors import MissingField, UnexpectedField, ValidationFailed

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
# Limits the widget repeats (static/widget/fields.js); keep the two in step.
MAX_DISPLAY_NAME = 100
MAX_EMAIL = 254
MAX_PHONE = 32
# Characters people write between digits; anything else (letters, "#", ...) is not a number.
_PHONE_CHARACTERS = re.compile(r"^\+[0-9 ()./-]+$")


def check_fields(given: Any, allowed: frozenset[str], required: frozenset[str],
                 why: str) -> dict[str, str]:
    """Refuse anything outside `allowed`, demand `required`, and validate each value."""
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise ValidationFailed("fields must be an object.", fields={"fields": ["Not an object."]})
    unexpected = sorted(set(given) - allowed)
    if unexpected:
        name = unexpected[0]
        raise UnexpectedField(
            f"The field {name!r} is not needed {why}; it was not stored.",
            fields={n: ["Not needed by any purpose here."] for n in unexpected})
    missing = sorted(required - {k for k, v in given.items() if v not in (None, "")})
    if missing:
        raise MissingField(f"The field {missing[0]!r} is needed {why}.",
                           fields={n: ["Required."] for n in missing})
    return {name: _valid(name, value) for name, value in given.items()}


def _valid(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationFailed(f"The field {name!r} must be text.", fields={name: ["Not text."]})
    value = value.strip()
    if name == "display_name" and not 1 <= len(value) <= MAX_DISPLAY_NAME:
        raise ValidationFailed("A display name has 1 to 100 characters.",
                               fields={name: ["1 to 100 characters."]})
    if name == "email" and (len(value) > MAX_EMAIL or not _EMAIL.match(value)):
        raise ValidationFailed("The email address is not valid.",
                               fields={name: ["Not an email address."]})
    if name == "phone" and not _is_phone_number(value):
        raise ValidationFailed(
            "The phone number is not valid: give it in international form, such as "
            "+44 20 7946 0000.", fields={name: ["Not a phone number in international form."]})
    return value


def _is_phone_number(value: str) -> bool:
    """An international number (+ and country code) that could exist, by libphonenumber's
    metadata: "-----" or "+1 2" are not. Validity of the exact range is not demanded, so a newly
    allocated number is not refused."""
    if len(value) > MAX_PHONE or not _PHONE_CHARACTERS.match(value):
        return False
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_possible_number(number))
