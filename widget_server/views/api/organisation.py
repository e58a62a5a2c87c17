"""REST: the caller's own organisation (CONTRACT §C, Sealing: proof_retention_days)."""

from typing import Any

from flask import g
from flask.views import MethodView

from widget_server.schemas.common import problem_responses
from widget_server.schemas.organisation import OrganisationOut, OrganisationPatch
from widget_server.services import organisations
from widget_server.views.api.blueprints import BEARER, api_blueprint, db, no_query

blp = api_blueprint("organisation", __name__,
                    "The organisation an API key belongs to, and its settings.")


@blp.route("/organisation")
class OwnOrganisation(MethodView):
    @blp.doc(security=BEARER, responses=problem_responses(401, 422))
    @no_query(blp)
    @blp.response(200, OrganisationOut)
    def get(self) -> dict[str, Any]:
        """Read the organisation of this API key."""
        with db().read_session() as session:
            return organisations.settings(session, g.organisation_id)

    @blp.doc(security=BEARER, responses=problem_responses(400, 401, 413, 422))
    @no_query(blp)
    @blp.arguments(OrganisationPatch)
    @blp.response(200, OrganisationOut)
    def patch(self, wanted: dict[str, Any]) -> dict[str, Any]:
        """Change the organisation's settings: `proof_retention_days` (1 to 3650; 1095 unless
        changed).

        A refused change stores nothing (422 naming the field).
        """
        with db().session() as session:
            return organisations.set_proof_retention(session, g.organisation_id,
                                                     wanted["proof_retention_days"])
