"""REST: one participant of a call, for the controller (CONTRACT §C, Controller side): what is
held about them (to answer an access request), a choice received by other means (channel
`api`), and erasure. Another organisation's call or participant is 404."""

from typing import Any

from flask import current_app, g
from flask.views import MethodView

from widget_server.schemas.common import path_id, problem_responses
from widget_server.schemas.rights import (
    DecisionIn,
    DecisionResult,
    ErasureOut,
    ParticipantDataOut,
)
from widget_server.services import participant_access, rights
from widget_server.views.api.blueprints import (
    BEARER,
    api_blueprint,
    db,
    no_query,
    public_base,
    tell_live_clients,
)
from widget_server.views.api.me import decide

CHANNEL = "api"

blp = api_blueprint("participants", __name__, (
    "One participant of a call, for the controller answering their rights: access, a choice "
    "received by other means (withdrawal by email, say) and erasure."))


@blp.route("/calls/<call_id>/participants/<participant_id>")
class ParticipantById(MethodView):
    @blp.doc(security=BEARER, responses=problem_responses(401, 404, 422))
    @no_query(blp)
    @blp.response(200, ParticipantDataOut)
    def get(self, call_id: str, participant_id: str) -> dict[str, Any]:
        """Read everything held about one participant, as they see it at `GET /api/v1/me`."""
        ring = current_app.extensions["widget_keys"].ring()
        with db().read_session() as session:
            who = _participant(session, call_id, participant_id)
            return rights.overview(session, ring, who, public_base())


@blp.route("/calls/<call_id>/participants/<participant_id>/decisions")
class ParticipantDecisions(MethodView):
    @blp.doc(security=BEARER, responses=problem_responses(400, 401, 404, 409, 413, 422))
    @no_query(blp)
    @blp.arguments(DecisionIn)
    @blp.response(200, DecisionResult)
    def post(self, wanted: dict[str, Any], call_id: str, participant_id: str
             ) -> dict[str, Any]:
        """Record a choice the participant made by other means (channel `api`).

        The rules of `POST /api/v1/me/decisions`: after the call's end only `withdrawn`,
        `denied` and `objected`, until every purpose's retention has passed (409
        `call_ended`, 409 `retention_passed`). Idempotent on `event_id`.
        """
        with db().read_session() as session:
            who = _participant(session, call_id, participant_id)
        return decide(wanted, who, CHANNEL)


@blp.route("/calls/<call_id>/participants/<participant_id>/data")
class ParticipantData(MethodView):
    @blp.doc(security=BEARER, responses=problem_responses(401, 404, 422))
    @no_query(blp)
    @blp.response(200, ErasureOut)
    def delete(self, call_id: str, participant_id: str) -> dict[str, Any]:
        """Erase every personal field of the participant now (Art. 17), as `DELETE /me`.

        Recorded in the ledger (`state: "erased"`, `purpose: null`, channel `api`);
        idempotent.
        """
        with db().session() as session:
            who = _participant(session, call_id, participant_id)
            outcome, applied = rights.erase(session, who, CHANNEL)
        tell_live_clients(applied)
        return outcome


def _participant(session: Any, call_id: str, participant_id: str
                 ) -> participant_access.Identity:
    return rights.participant_of_call(session, g.organisation_id, path_id(call_id, "call"),
                                      path_id(participant_id, "participant"))
