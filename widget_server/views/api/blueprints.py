"""What every REST blueprint shares: the strict request parser, the API-key check before any
body or query is read, and the database."""

from collections.abc import Callable
from typing import Any

from flask import current_app, g, request
from flask_smorest import Blueprint
from marshmallow import RAISE

from widget_server.domain.errors import Unauthorized
from widget_server.schemas.common import NoQuery
from widget_server.schemas.loading import REQUEST_PARSER
from widget_server.services import grants, live
from widget_server.services.database import Database
from widget_server.views.api.auth import organisation_id

BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


def api_blueprint(name: str, import_name: str, description: str) -> Blueprint:
    blp = Blueprint(name, import_name, url_prefix="/api/v1", description=description)
    blp.ARGUMENTS_PARSER = REQUEST_PARSER

    @blp.before_request
    def _authenticate() -> None:
        g.organisation_id = organisation_id()

    return blp


def db() -> Database:
    database: Database = current_app.extensions["widget_db"]
    return database


def no_query(blp: Blueprint) -> Callable[[Any], Any]:
    """An endpoint that takes no query parameters refuses any (422, naming them)."""
    decorator: Callable[[Any], Any] = blp.arguments(NoQuery, location="query", unknown=RAISE,
                                                    as_kwargs=True)
    return decorator


def public_base() -> str:
    """PUBLIC_URL, else the base this request reached the server at (receipts link to it)."""
    return str(current_app.config.get("PUBLIC_URL") or request.url_root).rstrip("/")


def tell_live_clients(applied: live.Applied) -> None:
    """After the commit: hosts get the update, participants `call_ended` or
    `notice_changed`."""
    feed = current_app.extensions["widget_feed"]
    for call_id, updates in applied.updates.items():
        feed.publish_many(call_id, updates)
    for call_id in applied.ended:
        feed.announce_call_ended(call_id)
    for change in applied.notice_changes:
        feed.announce_notice_changed(change)
    if applied.webhooks:
        feed.outbox_written()


def authenticate_grant(role: str) -> None:
    """A grant token's request (`Authorization: Bearer <grant id>.<secret>`) of `role`: the
    grant in `g.grant`, or the one refusal for every bad token. A secret in the query is
    refused first (never logged)."""
    from widget_server.views.api.me import refuse_secret_in_query

    refuse_secret_in_query()
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        raise Unauthorized(grants.REFUSAL)
    with db().read_session() as session:
        g.grant = grants.authenticate(session, token.strip(), role)
