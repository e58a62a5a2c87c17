"""REST: calls (CONTRACT, REST API › Calls). Each view loads, calls a service, dumps.

Tokens are shown once, when a call is opened; they travel in a data attribute or a URL fragment,
never in a query string (access logs record query strings).
"""

import csv
import io
from collections.abc import Iterator
from html import escape
from typing import Any

from flask import Response, current_app, g, request, stream_with_context
from flask.views import MethodView
from marshmallow import RAISE

from widget_server.schemas.calls import (
    DECISION_COLUMNS,
    CallCreated,
    CallDetail,
    CallIn,
    CallOut,
    CallsQuery,
    CheckpointsOut,
    DecisionsPage,
    DecisionsQuery,
    GateOut,
    NoticeChangeIn,
    RosterOut,
)
from widget_server.schemas.common import path_id, problem_responses
from widget_server.services import calls, checkpoints, ledger, roster
from widget_server.views.api.blueprints import (
    BEARER,
    api_blueprint,
    db,
    no_query,
    tell_live_clients,
)

blp = api_blueprint("calls", __name__, (
    "Calls: each is pinned to one notice version and has a widget token (participants) and a "
    "host token (the live roster); its decision ledger is the proof of every choice."))
CSV_DOC = {"description": "A page of the ledger; with `?format=csv`, the whole ledger as CSV: "
                          "a header row, then one row per event, oldest first.",
           "content": {"text/csv": {"schema": {"type": "string"}}}}


@blp.route("/calls")
class Calls(MethodView):
    @blp.doc(security=BEARER, responses=problem_responses(400, 401, 413, 422))
    @no_query(blp)
    @blp.arguments(CallIn)
    @blp.response(201, CallCreated)
    def post(self, wanted: dict[str, Any]) -> dict[str, Any]:
        """Open a call on the latest version of a notice.

        This answer is the only one that carries the widget and host tokens.
        """
        with db().session() as session:
            opened = calls.open_call(session, g.organisation_id,
                                     current_app.config["SECRET_KEY"], **wanted)
        return {**opened, **_access(opened["id"], opened["widget_token"], opened["host_token"])}

    @blp.doc(security=BEARER, responses=problem_responses(401, 422))
    @blp.arguments(CallsQuery, location="query", unknown=RAISE)
    @blp.response(200, CallOut(many=True))
    def get(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """List the organisation's calls, newest first (`?status=open|ended` to filter)."""
        with db().read_session() as session:
            return calls.list_calls(session, g.organisation_id, query.get("status"))


@blp.route("/calls/<call_id>")
class CallById(MethodView):
    @blp.doc(security=BEARER, responses=problem_responses(401, 404, 422))
    @no_query(blp)
    @blp.response(200, CallDetail)
    def get(self, call_id: str) -> dict[str, Any]:
        """Read a call with its live summary and recording gate."""
        with db().read_session() as session:
            return calls.get_call(session, g.organisation_id, path_id(call_id, "call"))


@blp.route("/calls/<call_id>/end")
class CallEnd(MethodView):
    @blp.doc(security=BEARER, responses=problem_responses(401, 404, 422))
    @no_query(blp)
    @blp.response(200, CallDetail)
    def post(self, call_id: str) -> dict[str, Any]:
        """End the call.

        Participants and hosts are told, nobody can join any more, retention periods start.
        Ending an ended call changes nothing.
        """
        with db().session() as session:
            call, applied = calls.end_call(session, g.organisation_id, path_id(call_id, "call"),
                                           current_app.extensions["widget_keys"].ring())
        tell_live_clients(applied)
        return call


@blp.route("/calls/<call_id>/notice")
class CallNotice(MethodView):
    @blp.doc(security=BEARER, responses=problem_responses(400, 401, 404, 409, 413, 422))
    @no_query(blp)
    @blp.arguments(NoticeChangeIn)
    @blp.response(200, CallDetail)
    def post(self, wanted: dict[str, Any], call_id: str) -> dict[str, Any]:
        """Move an open call to a later version of its own notice.

        Purposes unchanged in every respect keep each participant's state; new or changed
        ones start anew (`pending` / `not_objected`) and the widget asks for them again; data
        held only for a dropped purpose is erased at once; the gate is recomputed. Hosts get
        an update of kind `notice_changed` (then a fresh roster), participants a
        `notice_changed` event; joins must have seen the new version. 409 `call_ended` for
        an ended call; 422 naming `version` (not later, or no such version) or `notice_id`
        (another notice).
        """
        with db().session() as session:
            call, applied = calls.change_notice(session, g.organisation_id,
                                                path_id(call_id, "call"), wanted["version"],
                                                wanted.get("notice_id"))
            tell_live_clients(applied)
            feed = current_app.extensions["widget_feed"]
            for change in applied.notice_changes:
                feed.send_roster(change["call_id"], roster.roster(session, change["call_id"]))
        return call


@blp.route("/calls/<call_id>/gate")
class CallGate(MethodView):
    @blp.doc(security=BEARER, responses=problem_responses(401, 404, 422))
    @no_query(blp)
    @blp.response(200, GateOut)
    def get(self, call_id: str) -> dict[str, Any]:
        """Read the recording gate, with the ids of the participants who block it."""
        with db().read_session() as session:
            calls.get_call(session, g.organisation_id, path_id(call_id, "call"))
            return roster.call_gate(session, call_id)


@blp.route("/calls/<call_id>/participants")
class CallParticipants(MethodView):
    @blp.doc(security=BEARER, responses=problem_responses(401, 404, 422))
    @no_query(blp)
    @blp.response(200, RosterOut)
    def get(self, call_id: str) -> dict[str, Any]:
        """Read the roster, as the host dashboard's `roster` event carries it."""
        with db().read_session() as session:
            calls.get_call(session, g.organisation_id, path_id(call_id, "call"))
            return roster.roster(session, call_id)


@blp.route("/calls/<call_id>/decisions")
class CallDecisions(MethodView):
    @blp.doc(security=BEARER, responses={**problem_responses(401, 404, 422), 200: CSV_DOC})
    @blp.arguments(DecisionsQuery, location="query", unknown=RAISE)
    @blp.response(200, DecisionsPage)
    def get(self, query: dict[str, Any], call_id: str) -> dict[str, Any] | Response:
        """Read the decision ledger, oldest first.

        JSON in pages (`after`, `limit`; follow `next`), or with `?format=csv` all of it as CSV.
        """
        with db().read_session() as session:
            calls.get_call(session, g.organisation_id, path_id(call_id, "call"))
            if query["format"] == "csv":
                return _ledger_csv(call_id)
            return ledger.decisions_page(session, call_id, query["after"], query["limit"])


@blp.route("/calls/<call_id>/checkpoints")
class CallCheckpoints(MethodView):
    @blp.doc(security=BEARER, responses=problem_responses(401, 404, 422))
    @no_query(blp)
    @blp.response(200, CheckpointsOut)
    def get(self, call_id: str) -> dict[str, Any]:
        """Read the signed checkpoints of the call's ledger, oldest first.

        Each `jws` is the server's signature (EdDSA; keys at `/.well-known/jwks.json`) over the
        ledger head `{"call_id", "seq", "hash", "final", "signed_at"}`: keep them, and a chain
        rewritten later no longer matches. Made at least every 60 s while the ledger changes,
        and at the end of the call (`final`).
        """
        with db().read_session() as session:
            calls.get_call(session, g.organisation_id, path_id(call_id, "call"))
            return {"items": checkpoints.checkpoints_of(session, call_id)}


def _access(call_id: str, widget_token: str, host_token: str) -> dict[str, Any]:
    """Where participants and hosts go. Tokens sit in a data attribute or a fragment only."""
    base = (current_app.config.get("PUBLIC_URL") or request.url_root).rstrip("/")
    snippet = (f'<script src="{escape(base)}/static/widget.js" data-call="{escape(call_id)}" '
               f'data-widget-token="{escape(widget_token)}" async></script>')
    return {"widget": {"token": widget_token, "url": f"{base}/widget/{call_id}",
                       "snippet": snippet},
            "host": {"token": host_token, "url": f"{base}/host#token={host_token}"}}


def _ledger_csv(call_id: str) -> Response:
    """The whole ledger streamed as CSV, read in its own session as the rows go out."""
    database = db()

    def rows() -> Iterator[str]:
        yield _csv_line(DECISION_COLUMNS)
        with database.read_session() as session:
            for item in ledger.all_decisions(session, call_id):
                yield _csv_line([item[column] for column in DECISION_COLUMNS])

    return Response(stream_with_context(rows()), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="decisions-{call_id}.csv"'})


def _csv_line(values: Any) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(values)
    return out.getvalue()
