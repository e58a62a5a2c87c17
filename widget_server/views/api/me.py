"""REST: the participant's own surface (CONTRACT §C, Manage link): what is held about them,
their decisions after the call, their receipts and erasure.

Authenticated by the manage secret, never by an API key: `Authorization: Participant
<participant id>.<secret>` (services/participant_access.py). A secret in the query string is
refused before anything else (400 secret_in_query): query strings end up in access logs and
browser histories.
"""

import json
from typing import Any

from flask import Response, current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from widget_server.domain.errors import SecretInQuery
from widget_server.schemas.common import path_id, problem_responses
from widget_server.schemas.loading import REQUEST_PARSER
from widget_server.schemas.rights import (
    DecisionIn,
    DecisionResult,
    ErasureOut,
    ParticipantDataOut,
    ReceiptJws,
)
from widget_server.services import participant_access, receipts, rights
from widget_server.views.api.blueprints import db, no_query, public_base, tell_live_clients

PARTICIPANT: list[dict[str, list[str]]] = [{"participant": []}]
REFUSALS = {400: "Malformed request, or a secret in the query string (`secret_in_query`).",
            401: "Missing or wrong manage secret: always the same answer."}
# Query parameters that could only carry a secret; refused wherever the manage secret is used.
SECRET_PARAMETERS = frozenset({"key", "secret", "resume", "token"})
CHANNEL = "manage"

blp = Blueprint("me", __name__, url_prefix="/api/v1", description=(
    "The participant's own data and choices, through the manage link: access and export "
    "(Art. 15, 20), withdrawal and objection also after the call (Art. 7(3), 21), erasure "
    "(Art. 17). Authenticated by the manage secret."))
blp.ARGUMENTS_PARSER = REQUEST_PARSER


def _responses(*statuses: int) -> dict[int | str, Any]:
    """problem_responses, worded for the manage secret rather than an API key."""
    responses = problem_responses(400, 401, *statuses)
    for status, description in REFUSALS.items():
        responses[status] = {**responses[status], "description": description}
    return responses


def refuse_secret_in_query() -> None:
    """400 when the query string holds a parameter that can only be a secret (whatever its
    value, which is neither echoed nor logged)."""
    if any(name.lower() in SECRET_PARAMETERS for name in request.args):
        raise SecretInQuery("Never put the manage secret in a URL: send it in the "
                            "'Authorization: Participant <participant id>.<secret>' header.")


@blp.before_request
def _authenticate() -> None:
    refuse_secret_in_query()
    with db().read_session() as session:
        g.participant = participant_access.authenticate(
            session, request.headers.get("Authorization"))


@blp.route("/me")
class Me(MethodView):
    @blp.doc(security=PARTICIPANT, responses=_responses(422))
    @no_query(blp)
    @blp.response(200, ParticipantDataOut)
    def get(self) -> dict[str, Any]:
        """Read everything held about me: the call, the notice in my language, my states,
        the personal data held now, every ledger event of mine and my signed receipts."""
        return _overview()

    @blp.doc(security=PARTICIPANT, responses=_responses(422))
    @no_query(blp)
    @blp.response(200, ErasureOut)
    def delete(self) -> dict[str, Any]:
        """Erase every personal field held about me now, whatever the purposes (Art. 17).

        The ledger records an event with `state: "erased"` and `purpose: null`; my choices
        stay recorded (pseudonymous proof). Idempotent: when nothing is left to erase and the
        erasure is recorded, a repeat answers 200 with `recorded: false` and writes nothing.
        """
        with db().session() as session:
            outcome, applied = rights.erase(session, g.participant, CHANNEL)
        tell_live_clients(applied)
        return outcome


@blp.route("/me/export")
class MeExport(MethodView):
    @blp.doc(security=PARTICIPANT, responses=_responses(422))
    @no_query(blp)
    @blp.response(200, ParticipantDataOut, headers={"Content-Disposition": {
        "description": "attachment; filename=\"my-data-<participant id>.json\"",
        "schema": {"type": "string"}}})
    def get(self) -> Response:
        """Download everything held about me as a JSON file (Art. 15, 20): as `GET /me`."""
        document = ParticipantDataOut().dump(_overview())
        name = f"my-data-{g.participant.participant_id}.json"
        return Response(json.dumps(document, ensure_ascii=False, indent=2),
                        mimetype="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


@blp.route("/me/receipts/<receipt_id>")
class MeReceipt(MethodView):
    @blp.doc(security=PARTICIPANT, responses=_responses(404, 422))
    @no_query(blp)
    @blp.response(200, ReceiptJws)
    def get(self, receipt_id: str) -> dict[str, Any]:
        """One of my signed receipts (compact JWS); any other id is 404."""
        ring = current_app.extensions["widget_keys"].ring()
        with db().read_session() as session:
            jws = receipts.signed_receipt(session, ring, g.participant.participant_id,
                                          path_id(receipt_id, "receipt"), public_base())
        return {"jws": jws}


@blp.route("/me/decisions")
class MeDecisions(MethodView):
    @blp.doc(security=PARTICIPANT, responses=_responses(409, 413, 422))
    @no_query(blp)
    @blp.arguments(DecisionIn)
    @blp.response(200, DecisionResult)
    def post(self, wanted: dict[str, Any]) -> dict[str, Any]:
        """Record a decision of mine (channel `manage`), as the widget's `decide`.

        While the call is open any choice the widget offers; after its end, until every
        purpose's retention has passed, only `withdrawn`, `denied` and `objected` (anything
        else: 409 `call_ended`; after retention: 409 `retention_passed`). Data no purpose
        needs any more is erased at once. Idempotent on `event_id`.
        """
        return decide(wanted, g.participant, CHANNEL)


def _overview() -> dict[str, Any]:
    ring = current_app.extensions["widget_keys"].ring()
    with db().read_session() as session:
        return rights.overview(session, ring, g.participant, public_base())


def decide(wanted: dict[str, Any], who: participant_access.Identity, channel: str
           ) -> dict[str, Any]:
    """A decision from a REST body through the live write path, then the hosts are told."""
    seen = wanted.get("seen")
    with db().session() as session:
        outcome, applied = rights.decide(session, who, channel, wanted["event_id"].lower(),
                                         wanted["choices"], wanted["given"],
                                         seen["notice_hash"] if seen else None)
    tell_live_clients(applied)
    return outcome
