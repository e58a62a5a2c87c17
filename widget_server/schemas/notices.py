"""Notices at the REST edge: what a client publishes (NoticeIn) and reads back (NoticeOut).

These schemas check shape, types and lengths. The rules that span fields or need the domain's
vocabulary (known lawful bases and data categories, every language covering every purpose, unique
purpose keys, the default language) are the domain's (`domain/notice.py`), whose errors name the
place, such as `purposes.0.text`.
"""

from collections.abc import Callable
from typing import Any

from marshmallow import ValidationError, fields, validate

from widget_server.schemas.common import (
    INT_MAX,
    StrictBoolean,
    StrictSchema,
    language,
    safe_string,
)

PURPOSE_KEY = r"^[a-z][a-z0-9_]{0,63}$"
MAX_LANGUAGES = 50


def _between(least: int, most: int, what: str) -> Callable[[dict[str, Any]], None]:
    """A size check for an object (documented as minProperties/maxProperties, not lengths)."""

    def check(value: dict[str, Any]) -> None:
        if not least <= len(value) <= most:
            raise ValidationError(f"Give {least} to {most} entries (one per {what}).")

    return check


class Controller(StrictSchema):
    """Who is responsible for the processing (GDPR Art. 4(7))."""

    name = safe_string(1, 200, required=True)
    contact_email = fields.Email(required=True, validate=validate.Length(max=254))


class PurposeText(StrictSchema):
    """A purpose in one language."""

    title = safe_string(1, 200, required=True)
    description = safe_string(0, 2000, multiline=True, load_default="")


class PurposeIn(StrictSchema):
    key = fields.String(required=True, validate=validate.Regexp(
        PURPOSE_KEY, error="Lower-case letters, digits and '_', starting with a letter (≤ 64)."),
        metadata={"description": "Unique within the notice; names the purpose in choices."})
    lawful_basis = safe_string(1, 64, required=True, metadata={
        "description": "One of consent, contract, legal_obligation, vital_interests, "
                       "public_task, legitimate_interests."})
    gates_recording = StrictBoolean(load_default=False, metadata={
        "description": "Recording may run only while every present participant granted it."})
    data = fields.List(safe_string(1, 32), load_default=list, validate=validate.Length(max=10),
                       metadata={"description": "Personal data the purpose needs: any of "
                                                "display_name, email, phone."})
    retention_days = fields.Integer(required=True, strict=True,
                                    validate=validate.Range(min=1, max=3650))
    text = fields.Dict(
        keys=language(), values=fields.Nested(PurposeText), required=True,
        validate=_between(1, MAX_LANGUAGES, "language"),
        metadata={"minProperties": 1, "maxProperties": MAX_LANGUAGES,
                  "description": "Language tag → title and description. Every language used by "
                                 "any purpose must be given for every purpose."})


class NoticeIn(StrictSchema):
    """A notice to publish (a new notice, or the next version of one)."""

    name = safe_string(1, 200, required=True)
    controller = fields.Nested(Controller, required=True)
    privacy_policy_url = fields.URL(required=True, schemes={"http", "https"},
                                    validate=validate.Length(max=2000))
    default_language = language(required=True, metadata={
        "description": "Shown when the participant's language is not offered; must have texts."})
    purposes = fields.List(fields.Nested(PurposeIn), required=True,
                           validate=validate.Length(min=1, max=50))


class NoticeOut(NoticeIn):
    """A published notice version. Versions never change; a change is a new version."""

    id = fields.String(required=True, dump_only=True)
    version = fields.Integer(required=True, dump_only=True)
    content_hash = fields.String(required=True, dump_only=True,
                                 metadata={"description": "sha256: and the hex digest of the "
                                                          "published content."})
    created_at = fields.DateTime(required=True, dump_only=True)


class NoticeVersionQuery(StrictSchema):
    version = fields.Integer(validate=validate.Range(min=1, max=INT_MAX), metadata={
        "description": "A version number; the latest when absent."})

