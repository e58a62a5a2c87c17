"""The REST API (/api/v1) on flask-smorest: the marshmallow schemas that validate requests are
the ones the OpenAPI document at /api/openapi.json is generated from."""

from flask import Flask
from flask_smorest import Api

from widget_server.views.limits import limit_api

api = Api()


def register_api(app: Flask) -> None:
    app.config.setdefault("API_TITLE", "Consent widget server")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api.init_app(app)
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "An organisation API key."})
    api.spec.components.security_scheme("participant", {
        "type": "http", "scheme": "participant",
        "description": "The manage secret: 'Authorization: Participant <participant id>."
                       "<secret>' (the resume value the widget got at join; the manage link "
                       "carries the id in its path and the secret in its fragment). Never in "
                       "a query string."})
    from widget_server.views.api import calls, me, notices, organisation, participants, webhooks

    limit_api([notices.blp, calls.blp, participants.blp, me.blp, organisation.blp,
               webhooks.blp])
    api.register_blueprint(notices.blp)
    api.register_blueprint(calls.blp)
    api.register_blueprint(participants.blp)
    api.register_blueprint(me.blp)
    api.register_blueprint(organisation.blp)
    api.register_blueprint(webhooks.blp)
