"""Callers' numbers (CONTRACT §E): parsed with libphonenumber to E.164, and the label a host
sees when the number itself may not be kept.

The bridge sends the number as the network gave it to it. Only an international number is
accepted ("+" and the country code): a bridge knows it, and guessing a region from a national
form would be guessing. Letters are refused although libphonenumber reads them as a keypad
("1-800-FLOWERS"): a caller id is never spelt.
"""

import re

import phonenumbers

from widget_server.domain.errors import ValidationFailed
from widget_server.domain.fields import MAX_PHONE

FIELD = "caller"
_CHARACTERS = re.compile(r"^\+[0-9 ()./-]+$")
# Label shown for a phone participant whose name is not held: the last two digits only.
LABEL = "Phone ••{tail}"


def e164(raw: object) -> str:
    """The caller's number in E.164 ("+493012345678"), or 422 naming `caller`."""
    if not isinstance(raw, str) or not raw.strip():
        raise _refused("The caller's number is missing.", "Required.")
    value = raw.strip()
    if len(value) > MAX_PHONE:
        raise _refused(f"The caller's number is longer than {MAX_PHONE} characters.",
                       f"At most {MAX_PHONE} characters.")
    if not _CHARACTERS.match(value):
        raise _refused("The caller's number must be in international form, digits only "
                       "(such as +49 30 901820).", "Not a number in international form.")
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise _refused("The caller's number does not parse as a phone number.",
                       "Not a phone number.") from None
    if not phonenumbers.is_possible_number(number):
        raise _refused("The caller's number cannot exist (too long or too short for its "
                       "country).", "Not a possible phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def label(number: str) -> str:
    """'Phone ••56': what hosts (and a pipeline, as the participant's ref) know of a caller
    whose name is not held. Two digits tell callers apart in a meeting and identify nobody."""
    return LABEL.format(tail=number[-2:])


def _refused(message: str, detail: str) -> ValidationFailed:
    return ValidationFailed(message, fields={FIELD: [detail]})
