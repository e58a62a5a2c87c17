"""REST: a processor's own surface (CONTRACT §D), authenticated by its grant token, never by an
API key: the live plan for pipelines without sockets, and the acknowledgement of the plan
followed. A grant is for one call and one purpose: naming another is refused (403)."""

from typing import Any

from flask import current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from widget_server.domain.errors import ForbiddenCall, WrongPurpose
from widget_server.schemas.common import problem_responses
from widget_server.schemas.grants import AppliedIn, PlanOut, PlanQuery, ProcessorOut
from widget_server.schemas.loading import REQUEST_PARSER
from widget_server.services import grants, processing
from widget_server.views.api.blueprints import authenticate_grant, db, no_query

GRANT: list[dict[str, list[str]]] = [{"grant": []}]

blp = Blueprint("processing", __name__, url_prefix="/api/v1", description=(
    "What a processor (recording bot, transcriber, notes mailer) may do now, with its grant "
    "token: who may be processed for its purpose and the data for it, only while allowed."))
blp.ARGUMENTS_PARSER = REQUEST_PARSER


@blp.before_request
def _authenticate() -> None:
    authenticate_grant(grants.PROCESSOR)


def _responses(*statuses: int) -> dict[int | str, Any]:
    responses = problem_responses(400, 401, 422, *statuses)
    responses[401] = {**responses[401],
                      "description": "Missing, unknown or revoked grant token (an API key is "
                                     "not one): always the same answer."}
    return responses


@blp.route("/processing/plan")
class Plan(MethodView):
    @blp.doc(security=GRANT, responses=_responses(403))
    @blp.arguments(PlanQuery, location="query", unknown=RAISE, as_kwargs=True)
    @blp.response(200, PlanOut)
    def get(self, call_id: str | None = None, purpose: str | None = None) -> dict[str, Any]:
        """The plan of the grant's call and purpose now, as the `/processor` namespace's `plan`.

        `call_id` and `purpose` may be given to make sure of what is read: another call's or
        another purpose's plan is refused (403 `wrong_call`, `wrong_purpose`): a token reads
        its own purpose's plan and nothing else.
        """
        if call_id is not None and call_id != g.grant.call_id:
            raise ForbiddenCall("This grant token is for another call.")
        if purpose is not None and purpose != g.grant.purpose:
            raise WrongPurpose("This grant token reads the plan of its own purpose only.")
        with db().read_session() as session:
            return processing.plan(session, g.grant)


@blp.route("/processing/applied")
class Applied(MethodView):
    @blp.doc(security=GRANT, responses=_responses(413))
    @no_query(blp)
    @blp.arguments(AppliedIn)
    @blp.response(200, ProcessorOut)
    def post(self, wanted: dict[str, Any]) -> dict[str, Any]:
        """Confirm that the processor follows plan `seq` now; hosts see it."""
        with db().session() as session:
            done = processing.record_applied(session, g.grant, wanted["seq"])
        hook = current_app.extensions.get("widget_processors_changed")
        if hook is not None:
            hook(g.grant.call_id)
        return done
