"""REST: the organisation's consent statistics, small counts suppressed (CONTRACT §D)."""

import csv
import io
from typing import Any

from flask import Response, current_app, g, request
from flask.views import MethodView
from marshmallow import RAISE

from widget_server import offload
from widget_server.schemas.common import problem_responses
from widget_server.schemas.statistics import StatisticsOut, StatisticsQuery
from widget_server.services import statistics
from widget_server.services.database import Database
from widget_server.views.api.blueprints import BEARER, api_blueprint, db

blp = api_blueprint("statistics", __name__, (
    "Statistics: how the organisation's participants chose, per purpose and state, shared "
    "without identifying anyone: small counts are suppressed, and so is any count they could "
    "be worked out from."))
CSV_DOC = {"description": "The figures; with `?format=csv` or `Accept: text/csv`, as CSV: "
                          "columns day, purpose, measure, count, rate, suppressed (a "
                          "suppressed figure is empty).",
           "content": {"text/csv": {"schema": {"type": "string"}}}}


@blp.route("/statistics")
class Statistics(MethodView):
    @blp.doc(security=BEARER, responses={**problem_responses(401, 422), 200: CSV_DOC})
    @blp.arguments(StatisticsQuery, location="query", unknown=RAISE)
    @blp.response(200, StatisticsOut)
    def get(self, query: dict[str, Any]) -> dict[str, Any] | Response:
        """Count the participants of the calls opened in a range of days, per purpose and state.

        Days are UTC days of each call's opening, `from` to `to` inclusive (at most 366).
        Each participant is counted in the current state of each purpose of their call's
        notice; the consent rate of a consent purpose is granted / decided. A count below
        the server's minimum (`min_count`) is null with `suppressed: true`, and so is any
        count (cell or total) from which a suppressed one could be worked out, and any rate
        made from one. A `notice_id` of another organisation is refused like an unknown one
        (422).
        """
        # Protecting a year of days is CPU work (up to seconds): off the event loop.
        report = offload.run(_report, db(), g.organisation_id, query,
                             current_app.config["STATS_MIN_COUNT"])
        if query["format"] == "csv" or _wants_csv():
            return _csv(report)
        return report


def _report(database: Database, organisation_id: str, query: dict[str, Any], min_count: int
            ) -> dict[str, Any]:
    with database.read_session() as session:
        return statistics.statistics(session, organisation_id, query["start"], query["end"],
                                     notice_id=query.get("notice_id"), group=query["group"],
                                     min_count=min_count)


def _wants_csv() -> bool:
    return request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv"


def _csv(report: dict[str, Any]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(statistics.CSV_COLUMNS)
    writer.writerows(statistics.csv_rows(report))
    name = f"statistics-{report['from']}-{report['to']}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
