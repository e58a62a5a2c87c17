"""Socket payloads checked at the edge and turned into live commands (DESIGN §2: every string
from a client is checked here, so nothing a database cannot store reaches a shared batch).

Hand-written rather than marshmallow: this runs for every decision on the hot path, and the
checks are few. Each refusal is a ValidationFailed naming the offending field.
"""

from typing import Any

from widget_server.domain.errors import ValidationFailed
from widget_server.domain.fields import check_fields
from widget_server.domain.text import event_uuid, is_storable, storable
from widget_server.services import live

MAX_KEY = 64  # a purpose key or a field name
MAX_STATE = 16
MAX_VALUE = 320  # a field value: the longest email address is 254
MAX_LANGUAGE = 35  # a BCP 47 tag
MAX_HASH = 80
MAX_RESUME = 200
MAX_ENTRIES = 64
MAX_REF = 128  # the snippet's data-participant-ref (CONTRACT §D)


def join_command(call_id: str, resume: Any, data: dict[str, Any], channel: str = "widget"
                 ) -> live.Join:
    seen_hash = _seen_hash(data.get("seen"), required=True)
    assert seen_hash is not None
    language = data.get("language")
    ref = data.get("ref")
    return live.Join(
        call_id=call_id,
        seen_hash=seen_hash,
        fields=text_map(data.get("fields"), "fields", MAX_VALUE),
        language=None if language is None else storable(language, "language", MAX_LANGUAGE),
        # A resume secret that cannot be genuine starts a new participant, as a stale one does.
        resume=resume if is_storable(resume, MAX_RESUME) else None,
        channel=channel,
        ref=None if ref is None else participant_ref(ref))


def participant_ref(value: Any) -> str:
    """The meeting platform's id of the participant: text of at most 128 characters, no
    control characters (it is shown to processing pipelines next to the participant's id)."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed("ref must be the meeting platform's id of the participant "
                               "(data-participant-ref): non-blank text.",
                               fields={"ref": ["Non-blank text."]})
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValidationFailed("ref must not contain control characters.",
                               fields={"ref": ["No control characters."]})
    if len(value) > MAX_REF:
        raise ValidationFailed(f"ref is longer than {MAX_REF} characters.",
                               fields={"ref": [f"At most {MAX_REF} characters."]})
    return storable(value, "ref", MAX_REF)


def decide_command(call_id: str, participant_id: str, data: dict[str, Any],
                   channel: str = "widget") -> live.Decide:
    return live.Decide(
        call_id=call_id, participant_id=participant_id,
        event_id=event_uuid(data.get("event_id")),
        choices=text_map(data.get("choices"), "choices", MAX_STATE, required=True),
        fields=text_map(data.get("fields"), "fields", MAX_VALUE),
        channel=channel,
        seen_hash=_seen_hash(data.get("seen"), required=False))


def _seen_hash(seen: Any, required: bool) -> str | None:
    """The content hash of the notice the client showed ({"notice_hash": …})."""
    if seen is None and not required:
        return None
    if not isinstance(seen, dict) or "notice_hash" not in seen:
        raise ValidationFailed(
            "seen must say which notice was shown: {\"notice_hash\": \"sha256:…\"}.",
            fields={"seen": ["Required: the content_hash of the notice shown."]})
    return storable(seen["notice_hash"], "seen.notice_hash", MAX_HASH)


def receipt_id(data: dict[str, Any]) -> str:
    """The id of a receipt (`rcpt_…`), as a decide acknowledgement gave it."""
    return storable(data.get("id"), "id", MAX_KEY)


def email_address(data: dict[str, Any]) -> str:
    """The address a manage link goes to: one address, no control characters (a line break
    would start another mail header), nothing else. Its value is never echoed back."""
    address = data.get("email")
    if not isinstance(address, str) or not address.strip():
        raise ValidationFailed("email is required: the address to send the link to.",
                               fields={"email": ["Required."]})
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in address):
        raise ValidationFailed("The email address must be one address on one line.",
                               fields={"email": ["Contains a line break or control character."]})
    return check_fields({"email": address}, frozenset({"email"}), frozenset({"email"}),
                        "")["email"]


def language_of(data: dict[str, Any]) -> str | None:
    language = data.get("language")
    return None if language is None else storable(language, "language", MAX_LANGUAGE)


def text_map(value: Any, name: str, max_value: int, required: bool = False) -> dict[str, str]:
    """An object of text to text, each key and value storable; names the bad entry."""
    if value is None and not required:
        return {}
    if not isinstance(value, dict) or (required and not value):
        raise ValidationFailed(f"{name} must be a non-empty object." if required
                               else f"{name} must be an object.",
                               fields={name: ["An object of text values."]})
    if len(value) > MAX_ENTRIES:
        raise ValidationFailed(f"{name} has too many entries.", fields={name: ["Too many."]})
    checked: dict[str, str] = {}
    for key, item in value.items():
        storable(key, name, MAX_KEY)  # a bad key is not echoed back: the map is named
        # Entries are named by their key, as the rules name them (display_name, recording).
        checked[key] = storable(item, key, max_value)
    return checked
