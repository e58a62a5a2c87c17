"""REST: a call's processing grants (CONTRACT §D, §E), by API key. The token is in the 201
answer only; another organisation's call or grant is 404."""

from typing import Any

from flask import current_app, g
from flask.views import MethodView

from widget_server.schemas.common import path_id, problem_responses
from widget_server.schemas.grants import GrantCreated, GrantIn, GrantOut
from widget_server.services import grants
from widget_server.views.api.blueprints import BEARER, api_blueprint, db, no_query

blp = api_blueprint("grants", __name__, (
    "Processing grants: a token for one call and one purpose, for the client's systems that "
    "must obey consent (a recording bot, a transcriber, a notes mailer), or for the call's "
    "phone bridge. Revocable."))


@blp.route("/calls/<call_id>/grants")
class CallGrants(MethodView):
    @blp.doc(security=BEARER, responses=problem_responses(400, 401, 404, 409, 413, 422))
    @no_query(blp)
    @blp.arguments(GrantIn)
    @blp.response(201, GrantCreated)
    def post(self, wanted: dict[str, Any], call_id: str) -> dict[str, Any]:
        """Make a grant for an open call.

        `role: processor` (the default) needs a `purpose` of the call's current notice: its
        token reads that purpose's plan (`GET /api/v1/processing/plan`, the `/processor`
        namespace) and nothing else. `role: telephony` needs `purpose: null`. This answer is
        the only one that carries the token. 409 `call_ended` for an ended call.
        """
        with db().session() as session:
            return grants.create_grant(session, g.organisation_id, path_id(call_id, "call"),
                                       **wanted)

    @blp.doc(security=BEARER, responses=problem_responses(401, 404, 422))
    @no_query(blp)
    @blp.response(200, GrantOut(many=True))
    def get(self, call_id: str) -> list[dict[str, Any]]:
        """List the call's grants, revoked ones too, with the plan each processor last
        applied (never the tokens)."""
        with db().read_session() as session:
            return grants.list_grants(session, g.organisation_id, path_id(call_id, "call"))


@blp.route("/calls/<call_id>/grants/<grant_id>")
class CallGrant(MethodView):
    @blp.doc(security=BEARER, responses=problem_responses(401, 404, 422))
    @no_query(blp)
    @blp.response(200, GrantOut)
    def delete(self, call_id: str, grant_id: str) -> dict[str, Any]:
        """Revoke a grant: its token stops working and its live connections are closed.
        Revoking it again changes nothing."""
        with db().session() as session:
            revoked = grants.revoke_grant(session, g.organisation_id, path_id(call_id, "call"),
                                          path_id(grant_id, "grant"))
        hook = current_app.extensions.get("widget_grant_revoked")
        if hook is not None:
            hook(revoked["id"])
        return revoked
