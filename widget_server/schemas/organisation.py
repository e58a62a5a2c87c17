"""The organisation an API key belongs to, and the settings it may change."""

from marshmallow import fields, validate

from widget_server.schemas.common import StrictSchema
from widget_server.services.organisations import PROOF_RETENTION_DAYS

_PROOF_RETENTION = (
    "Days a sealed call's pseudonymous proof (its ledger, receipts and signed checkpoints) "
    "is kept after the seal, before it is deleted leaving only a closing signed checkpoint. "
    "A call is sealed once every purpose's retention has passed.")


class OrganisationOut(StrictSchema):
    """The caller's organisation."""

    id = fields.String(required=True)
    name = fields.String(required=True)
    origins = fields.List(fields.String(), required=True, metadata={
        "description": "The origins allowed to embed the widget."})
    created_at = fields.AwareDateTime(required=True)
    proof_retention_days = fields.Integer(required=True, metadata={
        "description": _PROOF_RETENTION})


class OrganisationPatch(StrictSchema):
    """What an organisation may change about itself."""

    proof_retention_days = fields.Integer(
        required=True, strict=True, validate=validate.Range(*PROOF_RETENTION_DAYS),
        metadata={"description": _PROOF_RETENTION + " Applies to calls already sealed too."})
