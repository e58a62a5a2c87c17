"""REST rate limits (Flask-Limiter): per source, and tighter for failed authentication.

Counted by sources.Sources' HMAC of the client address. In memory for one process; in Redis
(the MESSAGE_QUEUE) when several processes share the load. A source that failed to
authenticate AUTH_FAILURE_LIMIT times gets 429 on every API request until the window passes,
before its key is even looked up; other sources, the real key's owner among them, are not
affected.
"""

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter
from flask_smorest import Blueprint

from widget_server import sources

limiter = Limiter(key_func=lambda: _source_key(), headers_enabled=True,
                  default_limits=[], strategy="fixed-window")


def _source_key() -> str:
    keyer: sources.Sources = current_app.extensions["widget_sources"]
    return keyer.key(request.environ)


def init_limits(app: Flask) -> None:
    app.extensions["widget_sources"] = sources.for_app(app.config)
    queue = app.config.get("MESSAGE_QUEUE")
    app.config.setdefault("RATELIMIT_STORAGE_URI",
                          queue if queue and str(queue).startswith("redis") else "memory://")
    app.config.setdefault("RATELIMIT_ENABLED", bool(app.config["RATE_LIMITS"]))
    limiter.init_app(app)


_limited: set[str] = set()


def limit_api(blueprints: list[Blueprint]) -> None:
    """Every API blueprint: a limit per source on all requests (API_RATE_LIMIT), and one on
    failed authentication (AUTH_FAILURE_LIMIT). The blueprints are module-level, so each is
    decorated once; the limits are read from the running app's configuration."""
    rest = limiter.shared_limit(lambda: str(current_app.config["API_RATE_LIMIT"]), scope="api")
    failures = limiter.shared_limit(lambda: str(current_app.config["AUTH_FAILURE_LIMIT"]),
                                    scope="api-auth-failures", deduct_when=_failed_auth)
    for blp in blueprints:
        if blp.name not in _limited:
            _limited.add(blp.name)
            rest(blp)
            failures(blp)


def _failed_auth(response: Response) -> bool:
    return response.status_code == 401
