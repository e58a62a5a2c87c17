"""Consent widget server.

The package root imports nothing heavy on purpose: the entry point must be able to choose and
monkey-patch the concurrency library (eventlet, gevent) before Flask or the socket stack load.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> "Flask":
    from widget_server.app import create_app as _create_app

    return _create_app(config)
