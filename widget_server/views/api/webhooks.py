"""REST: webhooks (CONTRACT §D). Each view loads, calls a service, dumps."""

from typing import Any

from flask import current_app, g
from flask.views import MethodView
from marshmallow import RAISE

from widget_server.schemas.common import path_id, problem_responses
from widget_server.schemas.webhooks import (
    DeliveriesQuery,
    DeliveryOut,
    WebhookCreated,
    WebhookIn,
    WebhookOut,
)
from widget_server.services.webhooks import Settings, endpoints
from widget_server.views.api.blueprints import BEARER, api_blueprint, db, no_query

blp = api_blueprint("webhooks", __name__, (
    "Webhooks (Standard Webhooks): the organisation's endpoints, each told of the events it "
    "names, with pseudonymous ids only, signed with its secret; in order per call, retried "
    "with backoff for 24 h; each endpoint's delivery log, and a manual retry."))


def _settings() -> Settings:
    settings: Settings = current_app.config["WEBHOOKS"]
    return settings


@blp.route("/webhooks")
class Webhooks(MethodView):
    @blp.doc(security=BEARER, responses=problem_responses(400, 401, 409, 413, 422))
    @no_query(blp)
    @blp.arguments(WebhookIn)
    @blp.response(201, WebhookCreated)
    def post(self, wanted: dict[str, Any]) -> dict[str, Any]:
        """Register an endpoint; the answer carries its secret, shown only this once.

        422 naming `url` when it is not https://, too long, carries credentials, does not
        resolve, or resolves to a private, loopback, link-local or other internal address;
        naming `events` for an unknown event type; 409 beyond 20 endpoints.
        """
        with db().session() as session:
            return endpoints.register(session, g.organisation_id, _settings(), **wanted)

    @blp.doc(security=BEARER, responses=problem_responses(401, 422))
    @no_query(blp)
    @blp.response(200, WebhookOut(many=True))
    def get(self) -> list[dict[str, Any]]:
        """List the organisation's endpoints (without secrets)."""
        with db().read_session() as session:
            return endpoints.list_endpoints(session, g.organisation_id)


@blp.route("/webhooks/<webhook_id>")
class WebhookById(MethodView):
    @blp.doc(security=BEARER, responses=problem_responses(401, 404, 422))
    @no_query(blp)
    @blp.response(200, WebhookOut)
    def get(self, webhook_id: str) -> dict[str, Any]:
        """Read an endpoint (without its secret)."""
        with db().read_session() as session:
            return endpoints.get_endpoint(session, g.organisation_id,
                                          path_id(webhook_id, "webhook"))

    @blp.doc(security=BEARER, responses=problem_responses(401, 404, 422))
    @no_query(blp)
    @blp.response(204)
    def delete(self, webhook_id: str) -> None:
        """Delete an endpoint: nothing more is sent to it, its log goes with it."""
        with db().session() as session:
            endpoints.remove(session, g.organisation_id, path_id(webhook_id, "webhook"))


@blp.route("/webhooks/<webhook_id>/deliveries")
class Deliveries(MethodView):
    @blp.doc(security=BEARER, responses=problem_responses(401, 404, 422))
    @blp.arguments(DeliveriesQuery, location="query", unknown=RAISE)
    @blp.response(200, DeliveryOut(many=True))
    def get(self, query: dict[str, Any], webhook_id: str) -> list[dict[str, Any]]:
        """The endpoint's delivery log, newest first (`?status=`, `?limit=`)."""
        with db().read_session() as session:
            return endpoints.deliveries(session, g.organisation_id,
                                        path_id(webhook_id, "webhook"), query.get("status"),
                                        query["limit"])


@blp.route("/webhooks/<webhook_id>/deliveries/<delivery_id>/retry")
class DeliveryRetry(MethodView):
    @blp.doc(security=BEARER, responses=problem_responses(401, 404, 422))
    @no_query(blp)
    @blp.response(202, DeliveryOut)
    def post(self, webhook_id: str, delivery_id: str) -> dict[str, Any]:
        """Send a delivery again now, with the same `webhook-id`.

        A failed or delivered one gets one more attempt (failed again if it fails); a
        pending one is tried now instead of at its next time. Deliveries of the same call
        still go in order: a later one waits for this attempt.
        """
        with db().session() as session:
            return endpoints.retry(session, g.organisation_id, path_id(webhook_id, "webhook"),
                                   path_id(delivery_id, "delivery"))
