"""WSGI entry for servers that import an application object.

`widget-server serve` is the supported way to run the product (it serves with eventlet and the
right limits). This module chooses the same concurrency mode first, then builds the app.
"""

import os

from widget_server.entry import patch

patch(os.environ.get("WIDGET_SERVER_ASYNC_MODE", "eventlet"))

from widget_server import create_app, migrate  # noqa: E402  (after monkey-patching)

app = create_app()
if app.config["DATABASE_URL"].startswith("sqlite"):
    migrate.upgrade(app.extensions["widget_db"])
