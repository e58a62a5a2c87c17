"""The REST API (/api/v1) on flask-smorest: the marshmallow schemas that validate requests are
the ones the OpenAPI document at /api/openapi.json is generated from."""

from flask import Flask
from flask_smorest import Api

from widget_server.schemas.common import Problem
from widget_server.schemas.reference import ProblemResponses
from widget_server.views.limits import limit_api


class ProblemApi(Api):
    """flask-smorest, documenting errors as they are: problem+json (schemas/common.Problem),
    never its own `Error` shape, and only with the statuses each operation can answer
    (schemas/reference.py) rather than a generic default."""

    ERROR_SCHEMA = Problem
    DEFAULT_ERROR_RESPONSE_NAME = None


DESCRIPTION = """\
The REST API of the consent widget server: notices, calls, their decision ledger and the
participants' rights. JSON in and out; ids are opaque strings.

* **Auth.** `Authorization: Bearer <API key>` (an organisation's key sees only its own
  resources: another organisation's ids answer 404), or, on `/api/v1/me…`, the participant's
  manage secret: `Authorization: Participant <participant id>.<secret>`. Never in a query
  string.
* **Errors** are `application/problem+json` (RFC 9457) with a stable `code`, and `errors`
  naming each offending field (422). Every request counts against a per-source rate limit
  (429 with `Retry-After`).
* **Real time.** The widget, the host dashboard and processors use Socket.IO:
  [AsyncAPI document](/api/asyncapi.json).
"""

api = ProblemApi(spec_kwargs={"extra_plugins": [ProblemResponses()]})


def register_api(app: Flask) -> None:
    app.config.setdefault("API_TITLE", "Consent widget server")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", {"info": {"description": DESCRIPTION}})
    api.init_app(app)
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "An organisation API key."})
    api.spec.components.security_scheme("participant", {
        "type": "http", "scheme": "participant",
        "description": "The manage secret: 'Authorization: Participant <participant id>."
                       "<secret>' (the resume value the widget got at join; the manage link "
                       "carries the id in its path and the secret in its fragment). Never in "
                       "a query string."})
    api.spec.components.security_scheme("grant", {
        "type": "http", "scheme": "bearer",
        "description": "A processing grant token ('<grant id>.<secret>'), for one call and one "
                       "purpose: it is not an API key, and an API key is not one."})
    api.spec.components.security_scheme("telephony", {
        "type": "http", "scheme": "bearer",
        "description": "A telephony grant token ('<grant id>.<secret>'), for one call's phone "
                       "bridge: it is not an API key, and an API key is not one."})
    from widget_server.views.api import (
        calls,
        grants,
        me,
        notices,
        organisation,
        participants,
        phone,
        processing,
        statistics,
        webhooks,
    )

    limit_api([notices.blp, calls.blp, participants.blp, me.blp, organisation.blp, grants.blp,
               processing.blp, phone.blp, statistics.blp, webhooks.blp])
    api.register_blueprint(notices.blp)
    api.register_blueprint(calls.blp)
    api.register_blueprint(participants.blp)
    api.register_blueprint(me.blp)
    api.register_blueprint(organisation.blp)
    api.register_blueprint(grants.blp)
    api.register_blueprint(processing.blp)
    api.register_blueprint(phone.blp)
    api.register_blueprint(statistics.blp)
    api.register_blueprint(webhooks.blp)
