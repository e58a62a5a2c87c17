"""REST: notices (CONTRACT, REST API › Notices). Each view loads, calls a service, dumps."""

from typing import Any

from flask import g
from flask.views import MethodView
from marshmallow import RAISE

from widget_server.schemas.common import path_id, problem_responses
from widget_server.schemas.notices import NoticeIn, NoticeOut, NoticeVersionQuery
from widget_server.services import notices
from widget_server.views.api.blueprints import BEARER, api_blueprint, db, no_query

blp = api_blueprint("notices", __name__, (
    "Privacy notices: the purposes a call asks participants about, each with its lawful basis, "
    "data, retention and texts. Versions are immutable; calls pin the version they were "
    "opened with."))


@blp.route("/notices")
class Notices(MethodView):
    @blp.doc(security=BEARER, responses=problem_responses(400, 401, 413, 422))
    @no_query(blp)
    @blp.arguments(NoticeIn)
    @blp.response(201, NoticeOut)
    def post(self, content: dict[str, Any]) -> dict[str, Any]:
        """Publish a new notice (version 1)."""
        with db().session() as session:
            return notices.publish_notice(session, g.organisation_id, content)

    @blp.doc(security=BEARER, responses=problem_responses(401, 422))
    @no_query(blp)
    @blp.response(200, NoticeOut(many=True))
    def get(self) -> list[dict[str, Any]]:
        """List the organisation's notices, each at its latest version."""
        with db().read_session() as session:
            return notices.list_notices(session, g.organisation_id)


@blp.route("/notices/<notice_id>")
class NoticeById(MethodView):
    @blp.doc(security=BEARER, responses=problem_responses(401, 404, 422))
    @blp.arguments(NoticeVersionQuery, location="query", unknown=RAISE)
    @blp.response(200, NoticeOut)
    def get(self, query: dict[str, Any], notice_id: str) -> dict[str, Any]:
        """Read a notice: its latest version, or `?version=N`."""
        with db().read_session() as session:
            return notices.get_notice(session, g.organisation_id, path_id(notice_id, "notice"),
                                      query.get("version"))


@blp.route("/notices/<notice_id>/versions")
class NoticeVersions(MethodView):
    @blp.doc(security=BEARER, responses=problem_responses(400, 401, 404, 413, 422))
    @no_query(blp)
    @blp.arguments(NoticeIn)
    @blp.response(201, NoticeOut)
    def post(self, content: dict[str, Any], notice_id: str) -> dict[str, Any]:
        """Publish the next version of a notice; earlier versions stay as they were."""
        with db().session() as session:
            return notices.publish_version(session, g.organisation_id,
                                           path_id(notice_id, "notice"), content)
