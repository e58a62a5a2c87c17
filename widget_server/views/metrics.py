"""GET /metrics: Prometheus' text format, when WIDGET_SERVER_METRICS is on (404 otherwise).
Behind a proxy, keep it off the public side, or serve it on WIDGET_SERVER_METRICS_PORT instead
(loopback by default)."""

from flask import Blueprint, Response, abort, current_app
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from widget_server.services.metrics import REGISTRY

metrics = Blueprint("metrics", __name__)


@metrics.get("/metrics")
def scrape() -> Response:
    if not current_app.config["METRICS"]:
        abort(404)
    return Response(generate_latest(REGISTRY), mimetype=CONTENT_TYPE_LATEST.split(";")[0],
                    headers={"Content-Type": CONTENT_TYPE_LATEST})
