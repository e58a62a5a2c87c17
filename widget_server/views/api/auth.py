"""Bearer API keys: every REST request acts for exactly one organisation."""

from flask import current_app, request

from widget_server.domain.errors import Unauthorized
from widget_server.services import organisations


def organisation_id() -> str:
    """The organisation of the request's API key; Unauthorized (401) otherwise."""
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthorized("Send an API key as 'Authorization: Bearer <key>'.")
    with current_app.extensions["widget_db"].read_session() as session:
        return organisations.authenticate(session, key.strip())
