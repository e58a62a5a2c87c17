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
from widget_server.schemas.vocabulary import DATA_CATEGORIES, LAWFUL_BASES

PURPOSE_KEY = r"^[a-z][a-z0-9_]{0,63}$"
MAX_LANGUAGES = 50


def _between(least: int, most: int, what: str) -> Callable[[dict[str, Any]], None]:
    """A size check for an object (documented as minProperties/maxProperties, not lengths)."""

    def check(value: dict[str, Any]) -> None:
        if not least <= len(value) <= most:
            raise ValidationError(f"Give {least} to {most} entries (one per {what}).")

    return check


def _email(**kwargs: Any) -> fields.Email:
    return fields.Email(validate=validate.Length(max=254), **kwargs)


class Representative(StrictSchema):
    """The controller's representative in the Union (Art. 27), where it has one."""

    name = safe_string(1, 200, required=True)
    contact_email = _email(required=True)


class Controller(StrictSchema):
    """Who is responsible for the processing (GDPR Art. 4(7), 13(1)(a))."""

    name = safe_string(1, 200, required=True)
    contact_email = _email(required=True)
    address = safe_string(1, 500, multiline=True, metadata={
        "description": "Postal address, shown with the controller's name."})
    representative = fields.Nested(Representative)


class DataProtectionOfficer(StrictSchema):
    """Contact details of the data protection officer (Art. 13(1)(b))."""

    name = safe_string(1, 200)
    contact_email = _email(required=True)


RECIPIENT_ROLES = ("processor", "controller", "public_authority")
SAFEGUARDS = ("adequacy", "standard_contractual_clauses", "binding_corporate_rules", "derogation")
PROCESSES = ("audio", "video", "chat", "transcript", "voiceprint", "ai_summary")
# ISO 3166-1 alpha-2, or a short name ("EU") where a transfer names a region.
COUNTRY = r"^[A-Z]{2}$"


def _country(**kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Regexp(
        COUNTRY, error="An ISO 3166-1 alpha-2 country code such as 'US'."), **kwargs)


class Recipient(StrictSchema):
    """Someone the personal data is disclosed to (Art. 13(1)(e))."""

    name = safe_string(1, 200, required=True)
    role = fields.String(required=True, validate=validate.OneOf(RECIPIENT_ROLES))
    purposes = fields.List(fields.String(validate=validate.Regexp(PURPOSE_KEY)),
                           required=True, validate=validate.Length(min=1, max=50), metadata={
        "description": "Keys of the notice's purposes for which the data goes to them."})
    country = _country()


class Transfer(StrictSchema):
    """A transfer to a third country and its safeguard (Art. 13(1)(f))."""

    country = _country(required=True)
    safeguard = fields.String(required=True, validate=validate.OneOf(SAFEGUARDS))


class SupervisoryAuthority(StrictSchema):
    """Where a participant can complain (Art. 13(2)(d))."""

    name = safe_string(1, 200, required=True)
    url = fields.URL(required=True, schemes={"http", "https"}, validate=validate.Length(max=2000))


class PurposeText(StrictSchema):
    """A purpose in one language."""

    title = safe_string(1, 200, required=True)
    description = safe_string(0, 2000, multiline=True, load_default="")


class PurposeIn(StrictSchema):
    key = fields.String(required=True, validate=validate.Regexp(
        PURPOSE_KEY, error="Lower-case letters, digits and '_', starting with a letter (≤ 64)."),
        metadata={"description": "Unique within the notice; names the purpose in choices."})
    lawful_basis = safe_string(1, 64, required=True, metadata={
        "enum": LAWFUL_BASES,
        "description": "Art. 6(1): consent and legitimate_interests let the participant "
                       "choose (grant/deny/withdraw, object); the others are informational."})
    gates_recording = StrictBoolean(load_default=False, metadata={
        "description": "Recording may run only while every present participant allows it: "
                       "granted (consent) or not objected (legitimate_interests); other "
                       "bases may not gate recording."})
    data = fields.List(safe_string(1, 32, metadata={"enum": DATA_CATEGORIES}),
                       load_default=list, validate=validate.Length(max=10),
                       metadata={"description": "Personal data the purpose needs (none: [])."})
    retention_days = fields.Integer(required=True, strict=True,
                                    validate=validate.Range(min=1, max=3650))
    legitimate_interest = fields.Dict(
        keys=language(), values=safe_string(1, 2000, multiline=True),
        validate=_between(1, MAX_LANGUAGES, "language"),
        metadata={"minProperties": 1, "maxProperties": MAX_LANGUAGES,
                  "description": "Language tag → the legitimate interest pursued (Art. 13(1)(d)). "
                                 "Required for, and only for, legitimate_interests purposes, in "
                                 "every language of the notice."})
    required = StrictBoolean(metadata={
        "description": "Whether giving the data is a statutory or contractual requirement "
                       "(Art. 13(2)(e)); false when absent."})
    automated_decisions = StrictBoolean(metadata={
        "description": "Whether the purpose involves automated decision-making (Art. 13(2)(f)); "
                       "false when absent."})
    processes = fields.List(fields.String(validate=validate.OneOf(PROCESSES)),
                            validate=validate.Length(max=len(PROCESSES)), metadata={
        "description": "What the client's processing uses beyond what this server holds: any of "
                       + ", ".join(PROCESSES) + "."})
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
    dpo = fields.Nested(DataProtectionOfficer)
    recipients = fields.List(fields.Nested(Recipient), validate=validate.Length(max=50))
    transfers = fields.List(fields.Nested(Transfer), validate=validate.Length(max=50))
    supervisory_authority = fields.Nested(SupervisoryAuthority)
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

