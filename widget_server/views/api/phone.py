"""REST: a call's phone bridge (CONTRACT §E), authenticated by its telephony grant token, never
by an API key: callers join, hear the notice, press keys, hang up. A caller of another call,
or a widget participant, is not found (404)."""

from typing import Any

from flask import Response, g, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from widget_server.domain.errors import ValidationFailed
from widget_server.schemas.common import path_id, problem_responses
from widget_server.schemas.loading import REQUEST_PARSER
from widget_server.schemas.phone import (
    CallerIn,
    CallerOut,
    KeysIn,
    KeysOut,
    KeysQuery,
    ScriptOut,
    ScriptQuery,
)
from widget_server.services import grants, phone
from widget_server.views.api.blueprints import (
    authenticate_grant,
    db,
    no_query,
    public_base,
    tell_live_clients,
)

TELEPHONY: list[dict[str, list[str]]] = [{"telephony": []}]
TWIML = "text/xml"
SCRIPT_DOC = {"description": "The script as steps; with `?format=twiml`, as TwiML.",
              "content": {TWIML: {"schema": {"type": "string"}}}}

blp = Blueprint("phone", __name__, url_prefix="/api/v1", description=(
    "Dial-in: the call's phone bridge brings callers in, speaks them the notice, records "
    "their keypad choices (channel `phone`) and hangs them up, with its telephony token."))
blp.ARGUMENTS_PARSER = REQUEST_PARSER


@blp.before_request
def _authenticate() -> None:
    authenticate_grant(grants.TELEPHONY)


def _responses(*statuses: int) -> dict[int | str, Any]:
    responses = problem_responses(400, 401, 422, *statuses)
    responses[401] = {**responses[401],
                      "description": "Missing, unknown or revoked telephony token (an API "
                                     "key or a processor's token is not one)."}
    return responses


@blp.route("/phone/participants")
class Callers(MethodView):
    @blp.doc(security=TELEPHONY, responses=_responses(403, 409, 413))
    @no_query(blp)
    @blp.arguments(CallerIn)
    @blp.response(201, CallerOut)
    def post(self, wanted: dict[str, Any]) -> dict[str, Any]:
        """A caller joins the token's call: present, blocking the gate until they have
        answered every gating purpose. 422 naming `caller` for a number that does not parse;
        409 `call_ended` once the call has ended."""
        with db().session() as session:
            joined, applied = phone.join(session, g.grant, **wanted)
        tell_live_clients(applied)
        return joined


@blp.route("/phone/participants/<participant_id>")
class Caller(MethodView):
    @blp.doc(security=TELEPHONY, responses=_responses(404))
    @no_query(blp)
    @blp.response(200, CallerOut)
    def delete(self, participant_id: str) -> dict[str, Any]:
        """The caller hung up: no longer present; their choices stand. Idempotent."""
        with db().session() as session:
            gone, applied = phone.hang_up(session, g.grant, path_id(participant_id, "caller"))
        tell_live_clients(applied)
        return gone


@blp.route("/phone/participants/<participant_id>/script")
class Script(MethodView):
    @blp.doc(security=TELEPHONY, responses={**_responses(404), 200: SCRIPT_DOC})
    @blp.arguments(ScriptQuery, location="query", unknown=RAISE)
    @blp.response(200, ScriptOut)
    def get(self, query: dict[str, Any], participant_id: str) -> dict[str, Any] | Response:
        """The spoken notice for this caller now, in their language: the controller and the
        purposes, one step per choice, a confirmation; `*` repeats a step."""
        pid = path_id(participant_id, "caller")
        with db().read_session() as session:
            if query["format"] == "twiml":
                keys = public_base() + url_for("phone.Keys", participant_id=pid)
                return Response(phone.script_twiml(session, g.grant, pid, keys, query["step"]),
                                mimetype=TWIML)
            return phone.script(session, g.grant, pid, query["step"])


@blp.route("/phone/participants/<participant_id>/keys")
class Keys(MethodView):
    @blp.doc(security=TELEPHONY, responses=_responses(404, 409, 413))
    @blp.arguments(KeysQuery, location="query", unknown=RAISE, as_kwargs=True)
    @blp.arguments(KeysIn)
    @blp.response(200, KeysOut)
    def post(self, pressed: dict[str, Any], participant_id: str, step: str | None = None
             ) -> dict[str, Any]:
        """A key the caller pressed at a step: the decision it makes (ledger, receipt and
        host update as the widget's, channel `phone`), a move, or a re-prompt that records
        nothing. 409 `hung_up` after the hang-up, `call_ended` after the call's end."""
        event_id = pressed.pop("event_id")
        with db().session() as session:
            answer, applied = phone.press(
                session, g.grant, path_id(participant_id, "caller"),
                _step(pressed.pop("step"), step), pressed.pop("digits"),
                event_id=str(event_id) if event_id else None, **pressed)
        tell_live_clients(applied)
        return answer


def _step(in_body: str | None, in_query: str | None) -> str:
    """The step answered: in the body, or in the query as a TwiML action names it."""
    if in_body is not None and in_query is not None and in_body != in_query:
        raise ValidationFailed("The body and the query name different steps.",
                               fields={"step": ["The body and the query disagree."]})
    step = in_body or in_query
    if step is None:
        raise ValidationFailed("Which step was answered? Give `step`.",
                               fields={"step": ["Required."]})
    return step
