"""HTTP edge: REST API, pages, health; problem+json errors and security headers."""

from flask import Flask, Response

from widget_server.views.api import register_api
from widget_server.views.errors import register_error_handlers
from widget_server.views.health import health
from widget_server.views.keys import keys
from widget_server.views.limits import init_limits
from widget_server.views.metrics import metrics
from widget_server.views.pages import pages
from widget_server.views.reference import reference


def register_views(app: Flask) -> None:
    init_limits(app)
    register_api(app)
    app.register_blueprint(health)
    app.register_blueprint(keys)
    app.register_blueprint(metrics)
    app.register_blueprint(pages)
    app.register_blueprint(reference)
    register_error_handlers(app)
    app.after_request(_security_headers)


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    # Pages that may be framed (the widget) set their own frame-ancestors; nothing else may be.
    response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
    response.headers.setdefault("Cache-Control", "no-store")
    return response
