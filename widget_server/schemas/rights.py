"""Rights after the call at the REST edge (CONTRACT §C): the participant's own view (`/me`,
and the controller's view of one participant), decisions by the manage link or the API, and
erasure."""

from typing import Any

from marshmallow import ValidationError, fields, validates

from widget_server.domain.errors import ValidationFailed
from widget_server.domain.text import event_uuid
from widget_server.schemas.calls import DecisionOut
from widget_server.schemas.common import StrictSchema, safe_string
from widget_server.schemas.vocabulary import (
    CALL_STATUSES,
    CHOICES,
    DATA_CATEGORIES,
    JOIN_CHANNELS,
    STATES,
)

MAX_ENTRIES = 64


def _bounded(value: dict[str, Any]) -> None:
    if len(value) > MAX_ENTRIES:
        raise ValidationError(f"At most {MAX_ENTRIES} entries.")


class SeenIn(StrictSchema):
    notice_hash = safe_string(1, 80, required=True)


class DecisionIn(StrictSchema):
    """Choices, as the widget's `decide` sends them. After the call's end only `withdrawn`,
    `denied` and `objected` are taken, until every purpose's retention has passed."""

    event_id = fields.String(required=True, metadata={
        "format": "uuid", "description": "A UUID you choose: a retry with the same one "
                                         "returns the first answer and records nothing."})
    choices = fields.Dict(keys=safe_string(1, 64),
                          values=safe_string(1, 16, metadata={"enum": CHOICES}), required=True,
                          validate=_bounded, metadata={"description": "Purpose key → state."})
    given = fields.Dict(keys=safe_string(1, 64), values=safe_string(0, 320), data_key="fields",
                        load_default=dict, validate=_bounded, metadata={
                            "description": "Data a purpose granted in the same decision "
                                           "needs (only while the call is open)."})
    seen = fields.Nested(SeenIn, load_default=None, metadata={
        "description": "The notice shown, when the client says: another than the call's "
                       "current one is refused with stale_notice."})

    @validates("event_id")
    def _uuid(self, value: str, **_: Any) -> None:
        try:
            event_uuid(value)
        except ValidationFailed as err:
            raise ValidationError(err.fields["event_id"]) from None


class ReceiptRef(StrictSchema):
    id = fields.String(required=True)
    seq = fields.Integer(required=True)
    hash = fields.String(required=True)


class DecisionResult(StrictSchema):
    """The decision as recorded: states after it, the fields held now and its receipt."""

    state = fields.Dict(keys=fields.String(), values=fields.String(metadata={"enum": STATES}),
                        required=True)
    held = fields.List(fields.String(metadata={"enum": DATA_CATEGORIES}), required=True,
                       metadata={"description": "Names of the personal fields held now (never "
                                                "the values)."})
    receipt = fields.Nested(ReceiptRef, required=True)


class LedgerRef(StrictSchema):
    seq = fields.Integer(required=True)
    hash = fields.String(required=True)


class ErasureOut(StrictSchema):
    """What an erasure did. A repeat with nothing left to erase records nothing."""

    erased = fields.List(fields.String(metadata={"enum": DATA_CATEGORIES}), required=True,
                         metadata={"description": "Names of the fields erased now."})
    held = fields.List(fields.String(metadata={"enum": DATA_CATEGORIES}), required=True, metadata={
        "description": "Names of the fields held now: none."})
    recorded = fields.Boolean(required=True, metadata={
        "description": "Whether this request wrote a ledger event (`erased`)."})
    ledger = fields.Nested(LedgerRef, required=True, allow_none=True, metadata={
        "description": "The ledger event recording the erasure; null when nothing new was "
                       "recorded."})


class ParticipantRef(StrictSchema):
    id = fields.String(required=True)
    number = fields.Integer(required=True, metadata={
        "description": "As in the pseudonym 'Participant <n>'."})
    language = fields.String(required=True)
    channel = fields.String(required=True, metadata={"enum": JOIN_CHANNELS})
    joined_at = fields.AwareDateTime(required=True)
    ref = fields.String(allow_none=True, metadata={
        "description": "The meeting platform's id of the participant (data-participant-ref), "
                       "shown to the client's processing pipelines; blanked at sealing."})


class CallRef(StrictSchema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": CALL_STATUSES})
    ended_at = fields.AwareDateTime(required=True, allow_none=True)


class SignedReceipt(StrictSchema):
    id = fields.String(required=True)
    event_id = fields.String(required=True)
    seq = fields.Integer(required=True)
    hash = fields.String(required=True)
    jws = fields.String(required=True, metadata={
        "description": "The signed receipt (compact JWS, EdDSA; keys at "
                       "/.well-known/jwks.json)."})


class RightsNow(StrictSchema):
    grant = fields.Boolean(required=True, metadata={
        "description": "Whether a purpose can still be granted (only while the call is open)."})
    withdraw_or_object = fields.Boolean(required=True, metadata={
        "description": "Whether a consent can be withdrawn or processing objected to: until "
                       "every purpose's retention has passed."})
    decisions_until = fields.AwareDateTime(required=True, allow_none=True, metadata={
        "description": "When retention ends and with it these decisions; null while the call "
                       "is open."})


class ParticipantDataOut(StrictSchema):
    """Everything held about one participant (Art. 15, 20): their own data, in the open."""

    participant = fields.Nested(ParticipantRef, required=True)
    call = fields.Nested(CallRef, required=True)
    notice = fields.Dict(required=True, metadata={
        "description": "The call's notice rendered in the participant's language, as the "
                       "widget receives it."})
    state = fields.Dict(keys=fields.String(), values=fields.String(metadata={"enum": STATES}),
                        required=True, metadata={"description": "Purpose key → state now."})
    data = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                       data_key="fields", attribute="fields",
                       metadata={"description": "The personal data held now: name → value."})
    events = fields.List(fields.Nested(DecisionOut), required=True, metadata={
        "description": "Every ledger event of this participant, oldest first."})
    receipts = fields.List(fields.Nested(SignedReceipt), required=True)
    rights = fields.Nested(RightsNow, required=True)


class ReceiptJws(StrictSchema):
    jws = fields.String(required=True)
