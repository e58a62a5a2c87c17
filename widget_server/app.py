"""The application factory: configuration, database, REST, pages and Socket.IO on one app."""

from typing import Any

from flask import Flask

from widget_server import config
from widget_server.assets import asset_dir
from widget_server.realtime import socketio
from widget_server.services.database import Database
from widget_server.services.signing_keys import KeyStore
from widget_server.views import register_views


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    # The instance folder sits in the working directory, so a user's data is where they run it.
    app = Flask(__name__, instance_path=_instance_path(overrides),
                static_folder=str(asset_dir("static")),
                template_folder=str(asset_dir("templates")))
    config.load(app, overrides)
    database = Database(app.config["DATABASE_URL"])
    app.extensions["widget_db"] = database
    # Made on first start (mode 0600), so the JWKS is the same from the first request on.
    keys = KeyStore(app.config["SIGNING_KEY_FILE"])
    keys.ensure()
    app.extensions["widget_keys"] = keys
    register_views(app)
    from widget_server.sockets import register_sockets

    register_sockets(app, socketio)
    return app


def _instance_path(overrides: dict[str, Any] | None) -> str:
    import os

    wanted = (overrides or {}).get("INSTANCE_PATH") or os.environ.get("WIDGET_SERVER_INSTANCE_PATH")
    return os.path.abspath(wanted or "instance")
