"""Calls at the REST edge: opening one, reading it, its gate, roster and decision ledger."""

from datetime import UTC
from typing import Any

from marshmallow import fields, post_load, validate

from widget_server.schemas.common import INT_MAX, StrictSchema, identifier, safe_string
from widget_server.schemas.vocabulary import (
    CALL_STATUSES,
    CHANNELS,
    JOIN_CHANNELS,
    LAWFUL_BASES,
    LEDGER_STATES,
    STATES,
)

PAGE_MAX = 1000


class CallIn(StrictSchema):
    """A call to open, pinned to the latest version of one of the organisation's notices."""

    title = safe_string(1, 300, required=True)
    notice_id = identifier(required=True)
    external_ref = safe_string(0, 200, load_default=None, allow_none=True, metadata={
        "description": "Your own reference for the call (a meeting id, say)."})
    starts_at = fields.AwareDateTime(load_default=None, allow_none=True, metadata={
        "description": "ISO 8601 with a time zone offset; answered in UTC."})

    @post_load
    def _in_utc(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if data.get("starts_at") is not None:
            data["starts_at"] = data["starts_at"].astimezone(UTC)
        return data


class NoticeRef(StrictSchema):
    """The notice version the call is pinned to."""

    id = fields.String(required=True)
    version = fields.Integer(required=True)
    content_hash = fields.String(required=True)


class WidgetAccess(StrictSchema):
    """How participants reach the call: the token travels in a data attribute or a URL
    fragment, never in a query string."""

    token = fields.String(required=True, metadata={
        "description": "Lets anyone on the meeting page join this call as a participant, and "
                       "nothing else. Stops working when the call ends."})
    url = fields.String(required=True, metadata={
        "description": "The widget page (the loader script adds `#token=…`)."})
    snippet = fields.String(required=True, metadata={
        "description": "The one script tag to put on the meeting page."})


class HostAccess(StrictSchema):
    """How a host reaches the live roster."""

    token = fields.String(required=True, metadata={
        "description": "Lets its holder watch this call's live roster, and nothing else. Works "
                       "until a day after the call ends."})
    url = fields.String(required=True, metadata={
        "description": "The host dashboard, with the token in the URL fragment."})


class Summary(StrictSchema):
    present = fields.Integer(required=True)
    purposes = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(metadata={"enum": STATES}), values=fields.Integer()),
        required=True, metadata={"description": "Purpose key → state → how many participants."})


class GateSummary(StrictSchema):
    recording_allowed = fields.Boolean(required=True)
    blocking = fields.Integer(required=True, metadata={
        "description": "How many present participants block recording."})


class CallOut(StrictSchema):
    """A call, as listed."""

    id = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(CALL_STATUSES))
    external_ref = fields.String(allow_none=True)
    starts_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime(required=True)
    ended_at = fields.DateTime(allow_none=True)
    sealed_at = fields.DateTime(allow_none=True, metadata={
        "description": "When every purpose's retention had passed and the call was sealed: "
                       "its title (then blank), external_ref and personal data are gone; only "
                       "the pseudonymous ledger, receipts and checkpoints remain."})
    proof_deleted_at = fields.DateTime(allow_none=True, metadata={
        "description": "When that proof was deleted, the organisation's "
                       "`proof_retention_days` after the seal, leaving only a closing signed "
                       "checkpoint."})
    notice = fields.Nested(NoticeRef, required=True)


class CallCreated(CallOut):
    """A call just opened, with its widget and host access. The tokens are shown only in this
    answer (201 of POST /api/v1/calls): keep them; no other endpoint returns them."""

    widget = fields.Nested(WidgetAccess, required=True)
    host = fields.Nested(HostAccess, required=True)


class CallDetail(CallOut):
    """A call with its live summary and recording gate (no tokens: see CallCreated)."""

    summary = fields.Nested(Summary, required=True)
    gate = fields.Nested(GateSummary, required=True)


class CallsQuery(StrictSchema):
    status = fields.String(validate=validate.OneOf(CALL_STATUSES), metadata={
        "description": "Only calls in this status."})


class GateOut(StrictSchema):
    """Whether recording may run now, and who blocks it."""

    recording_allowed = fields.Boolean(required=True)
    blocking = fields.Integer(required=True, metadata={
        "description": "How many present participants block recording (a count, as in every "
                       "other `gate`)."})
    blocking_participants = fields.List(fields.String(), required=True, metadata={
        "description": "Their ids, in join order: the present participants who hold recording "
                       "up (a gating consent purpose not granted, or a gating "
                       "legitimate-interest purpose objected to)."})
    seq = fields.Integer(required=True, metadata={
        "description": "The call's update sequence number this answer reflects."})


class RosterPurpose(StrictSchema):
    """A column of the host's roster."""

    key = fields.String(required=True)
    title = fields.String(required=True, metadata={
        "description": "In the notice's default language."})
    lawful_basis = fields.String(required=True, metadata={"enum": LAWFUL_BASES})
    gates_recording = fields.Boolean(required=True)


class RosterNotice(StrictSchema):
    """The notice version the call runs on (it may move to a later one during the call)."""

    id = fields.String(required=True)
    version = fields.Integer(required=True)


class RosterCall(StrictSchema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": CALL_STATUSES})
    notice = fields.Nested(RosterNotice, required=True)
    purposes = fields.List(fields.Nested(RosterPurpose), required=True)


class RosterParticipant(StrictSchema):
    id = fields.String(required=True)
    label = fields.String(required=True, metadata={
        "description": "The display name where a purpose needs one, else 'Participant <n>'."})
    channel = fields.String(required=True, metadata={"enum": JOIN_CHANNELS})
    present = fields.Boolean(required=True)
    state = fields.Dict(keys=fields.String(), values=fields.String(metadata={"enum": STATES}),
                        required=True,
                        metadata={"description": "Purpose key → state."})
    updated_at = fields.String(required=True, metadata={"format": "date-time"})
    blocking = fields.Boolean(required=True, metadata={
        "description": "Present and holding recording up (not letting it run)."})
    blocking_since = fields.String(required=True, allow_none=True, metadata={
        "format": "date-time", "description": "Since when this participant has been holding "
                                              "recording up; null when not blocking."})


class RosterOut(StrictSchema):
    """The call's participants and their states, as the host `roster` event carries them."""

    call = fields.Nested(RosterCall, required=True)
    seq = fields.Integer(required=True)
    participants = fields.List(fields.Nested(RosterParticipant), required=True)
    summary = fields.Nested(Summary, required=True)
    gate = fields.Nested(GateSummary, required=True)


class DecisionOut(StrictSchema):
    """The proof of one choice: pseudonymous, hash-chained to the call's previous event."""

    seq = fields.Integer(required=True)
    event_id = fields.String(required=True)
    participant_id = fields.String(required=True)
    purpose = fields.String(required=True, allow_none=True, metadata={
        "description": "Null for a join's notice_served event (the notice shown)."})
    state = fields.String(required=True, metadata={"enum": LEDGER_STATES})
    notice_version = fields.Integer(required=True)
    notice_hash = fields.String(required=True)
    language = fields.String(required=True)
    channel = fields.String(required=True, metadata={"enum": CHANNELS})
    recorded_at = fields.String(required=True, metadata={"format": "date-time"})
    prev_hash = fields.String(required=True)
    hash = fields.String(required=True)


DECISION_COLUMNS = tuple(DecisionOut().fields)


class DecisionsPage(StrictSchema):
    items = fields.List(fields.Nested(DecisionOut), required=True)
    next = fields.String(required=True, allow_none=True, metadata={
        "description": "Pass as `after` for the next page; null on the last page."})


class DecisionsQuery(StrictSchema):
    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=INT_MAX), metadata={
        "description": "Only events after this sequence number (a `next` cursor)."})
    limit = fields.Integer(load_default=PAGE_MAX, validate=validate.Range(min=1, max=PAGE_MAX))
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")),
                           metadata={"description": "csv streams the whole ledger as text/csv "
                                                    "(after and limit do not apply)."})


class CheckpointOut(StrictSchema):
    """One signed ledger head."""

    seq = fields.Integer(required=True, metadata={"description": "The ledger seq signed."})
    hash = fields.String(required=True, metadata={"description": "The chain hash at that seq."})
    final = fields.Boolean(required=True, metadata={
        "description": "Signed once the call had ended."})
    signed_at = fields.AwareDateTime(required=True)
    kid = fields.String(required=True, metadata={"description": "The signing key's id."})
    jws = fields.String(required=True, metadata={
        "description": "Compact JWS (EdDSA) over {call_id, seq, hash, final, signed_at} (the "
                       "closing checkpoint's also over closing and events)."})
    closing = fields.Boolean(metadata={
        "description": "Present and true on the closing checkpoint, signed when the call's "
                       "proof was deleted after its retention: all that remains of it."})
    events = fields.Integer(metadata={
        "description": "On the closing checkpoint: how many events the deleted ledger held."})


class CheckpointsOut(StrictSchema):
    items = fields.List(fields.Nested(CheckpointOut), required=True)


class NoticeChangeIn(StrictSchema):
    """The notice version an open call moves to: a later version of its own notice."""

    version = fields.Integer(required=True, strict=True,
                             validate=validate.Range(min=1, max=INT_MAX), metadata={
                                 "description": "A version of the call's notice later than "
                                                "the one it is at."})
    notice_id = identifier(load_default=None, metadata={
        "description": "Optional: the call's notice (anything else is refused)."})
