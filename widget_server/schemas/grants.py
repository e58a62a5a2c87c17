"""Processing grants at the REST edge (CONTRACT §D, §E): making one, listing and revoking."""

from marshmallow import fields, validate

from widget_server.schemas.common import INT_MAX, StrictSchema, safe_string

ROLES = ("processor", "telephony")


class GrantIn(StrictSchema):
    """A grant to make: a processor for one purpose of the call's notice, or the call's phone
    bridge (`role: telephony`, `purpose: null`)."""

    purpose = safe_string(1, 64, load_default=None, allow_none=True, metadata={
        "description": "The key of one purpose of the call's current notice (processor); "
                       "null for telephony."})
    name = safe_string(1, 100, required=True, metadata={
        "description": "What the holder is, shown to hosts: 'Recording bot', say."})
    role = fields.String(load_default="processor", validate=validate.OneOf(ROLES), metadata={
        "description": "processor (default) or telephony."})


class GrantOut(StrictSchema):
    """A grant, never with its token."""

    id = fields.String(required=True)
    call_id = fields.String(required=True)
    role = fields.String(required=True)
    purpose = fields.String(allow_none=True)
    name = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)
    revoked_at = fields.AwareDateTime(allow_none=True)
    last_applied_seq = fields.Integer(allow_none=True, metadata={
        "description": "The last plan `seq` the processor confirmed it follows."})
    applied_at = fields.AwareDateTime(allow_none=True)
    applied_delay_ms = fields.Integer(allow_none=True, metadata={
        "description": "How long after the change that made that plan it confirmed it (ms)."})


class GrantCreated(GrantOut):
    token = fields.String(required=True, metadata={
        "description": "`<grant id>.<secret>`, shown this once: send it as "
                       "'Authorization: Bearer <token>' or as the `/processor` namespace's "
                       "auth `{\"token\"}`."})


class PlanParticipant(StrictSchema):
    id = fields.String(required=True)
    ref = fields.String(allow_none=True, metadata={
        "description": "The participant's id in the meeting platform (data-participant-ref)."})
    state = fields.String(allow_none=True)
    present = fields.Boolean(required=True)
    allowed = fields.Boolean(required=True, metadata={
        "description": "Whether this participant may be processed for this purpose now."})
    fields_ = fields.Dict(keys=fields.String(), values=fields.String(), data_key="fields",
                          attribute="fields", metadata={
        "description": "Only what this purpose needs and is held, only while allowed."})


class PlanOut(StrictSchema):
    """What a processor may do now (the `/processor` namespace's `plan` event alike)."""

    seq = fields.Integer(required=True, metadata={
        "description": "The call's update sequence this plan reflects; confirm with applied."})
    call_id = fields.String(required=True)
    purpose = fields.String(required=True)
    allowed = fields.Boolean(required=True, metadata={
        "description": "May this processing run at all now: the recording gate for a gating "
                       "purpose, else whether anyone may be processed."})
    participants = fields.List(fields.Nested(PlanParticipant), required=True)


class PlanQuery(StrictSchema):
    """A grant token is for one call and one purpose; naming another is refused (403)."""

    call_id = safe_string(1, 64, metadata={"description": "Must be the grant's call."})
    purpose = safe_string(1, 64, metadata={"description": "Must be the grant's purpose."})


class AppliedIn(StrictSchema):
    seq = fields.Integer(required=True, strict=True, validate=validate.Range(0, INT_MAX),
                         metadata={"description": "The `seq` of the plan now followed."})


class ProcessorOut(StrictSchema):
    """A processor as hosts see it: the plan it last confirmed and how long after the change."""

    id = fields.String(required=True)
    name = fields.String(required=True)
    purpose = fields.String(allow_none=True)
    revoked = fields.Boolean(required=True)
    last_applied_seq = fields.Integer(allow_none=True)
    applied_at = fields.String(allow_none=True, metadata={"description": "ISO 8601, UTC."})
    applied_delay_ms = fields.Integer(allow_none=True)
