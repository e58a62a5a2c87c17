"""Configuration from WIDGET_SERVER_* environment variables (CONTRACT: Running it)."""

import math
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from widget_server.services.webhooks import Settings as WebhookSettings

ASYNC_MODES = ("eventlet", "gevent", "threading")

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,  # a SQLite file in the instance folder
    "SECRET_KEY": None,  # generated once and kept in the instance folder
    # The Ed25519 key that signs receipts and checkpoints (CONTRACT §B); never in the database.
    "SIGNING_KEY_FILE": None,  # default: signing_key.json in the instance folder
    "CHECKPOINT_INTERVAL": 30.0,  # seconds between signed checkpoints of changing ledgers
    "PUBLIC_URL": None,  # taken from the request when unset
    "MESSAGE_QUEUE": None,
    "ASYNC_MODE": "eventlet",
    "MAX_CONTENT_LENGTH": 64 * 1024,
    "SOCKET_MAX_MESSAGE": 32 * 1024,
    "SOCKET_RATE": 20.0,  # events a second a connection may send, sustained
    "SOCKET_BURST": 40,  # and in one burst
    # Seconds; 0 sends each commit's updates at once, as one list (see realtime/feed.py).
    "HOST_BATCH_WINDOW": 0.0,
    "PURGE_INTERVAL": 3600,  # seconds between retention runs inside the server
    # Hours a call may stay open before the server ends it, so that retention starts
    # (CONTRACT §C); fractions allowed. Checked every CHECKPOINT_INTERVAL seconds.
    "MAX_CALL_HOURS": 24,
    "MAX_CONNECTIONS": 20000,
    "GC_POLICY": True,  # freeze survivors every second, collect fully when quiet
    "BACKLOG": 4096,
    # Seconds a live client waits for its commit before it is told commit_failed (a retry
    # with the same event_id is safe).
    "COMMIT_TIMEOUT": 10.0,
    "MAX_PARTICIPANTS_PER_CALL": 10000,  # 0: no limit
    # Seconds between presence checks: a participant counted present without a connection
    # is marked away after two checks in a row.
    "PRESENCE_CHECK": 5.0,
    # The open internet (README, Security): seconds a client has to send a request's headers
    # (idle keep-alive time included), and for each single read or write of its socket.
    "HEADER_TIMEOUT": 10.0,
    "SOCKET_TIMEOUT": 30.0,
    # Rate limits per source (an HMAC of the client address; README, Security).
    "RATE_LIMITS": True,
    "API_RATE_LIMIT": "100/second",
    "AUTH_FAILURE_LIMIT": "20/minute",
    "SOURCE_CONNECT_RATE": 50.0,  # Socket.IO connections a second from one source, sustained
    "SOURCE_CONNECT_BURST": 200,  # and in one burst (a lecture hall behind one NAT)
    "TRUSTED_PROXY_HOPS": 0,  # proxies that append X-Forwarded-For; 0 ignores the header
    # /readyz answers 503 when the SQLite database's volume has less free space than this.
    "READY_MIN_FREE_BYTES": 64 * 1024 * 1024,
    # The manage link by email (CONTRACT §C): smtp://, smtp+starttls:// or smtps:// (unset: the
    # widget does not offer it), the sender, a CA file for a private mail server's certificate.
    "SMTP_URL": None,
    "SMTP_FROM": "Consent <consent-widget@localhost>",
    "SMTP_CA_FILE": None,
    "SMTP_TIMEOUT": 10.0,
    "MANAGE_LINKS_PER_HOUR": 3,  # emails a participant may ask for in an hour
    # Webhooks (CONTRACT §D): http:// to loopback allowed (development and tests only), seconds
    # per attempt, the retry schedule after failures (seconds; the last repeats), how long after
    # the first attempt retries go on, and seconds between looks at the outbox.
    "ALLOW_HTTP_WEBHOOKS": False,
    "WEBHOOK_TIMEOUT": 10.0,
    "WEBHOOK_BACKOFF": "5,30,120,600,3600,10800,21600",
    "WEBHOOK_RETRY_WINDOW": 86400,
    "WEBHOOK_POLL": 0.25,
    "WEBHOOK_CA_FILE": None,  # authorities for receivers' certificates (else the system's)
}


def load(app: Flask, overrides: dict[str, Any] | None) -> None:
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env("WIDGET_SERVER")
    app.config.update(overrides or {})
    if app.config["ASYNC_MODE"] not in ASYNC_MODES:
        raise SystemExit(f"WIDGET_SERVER_ASYNC_MODE must be one of {', '.join(ASYNC_MODES)}")
    app.config["MAX_CALL_HOURS"] = max_call_hours(app.config["MAX_CALL_HOURS"])
    app.config["WEBHOOKS"] = webhook_settings(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'widget.db'}"
    if not app.config["SIGNING_KEY_FILE"]:
        app.config["SIGNING_KEY_FILE"] = str(Path(app.instance_path) / "signing_key.json")
        app.config["SIGNING_KEY_FROM_INSTANCE"] = True
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")
        app.config["SECRET_KEY_FROM_INSTANCE"] = True


MAX_CALL_HOURS_LIMIT = 8760  # a year: a call open longer is forgotten, not running


def max_call_hours(value: Any) -> float:
    """WIDGET_SERVER_MAX_CALL_HOURS as a number of hours, or a SystemExit naming it."""
    if isinstance(value, str):  # from_prefixed_env leaves what is not JSON as text
        try:
            value = float(value)
        except ValueError:
            value = None
    if (isinstance(value, bool) or not isinstance(value, int | float)
            or not math.isfinite(value) or not 0 < value <= MAX_CALL_HOURS_LIMIT):
        raise SystemExit(
            "WIDGET_SERVER_MAX_CALL_HOURS must be a number of hours above 0 and at most "
            f"{MAX_CALL_HOURS_LIMIT} (fractions allowed, e.g. 0.5); the default is 24.")
    return float(value)


def webhook_settings(values: Any) -> WebhookSettings:
    """The WIDGET_SERVER_*WEBHOOK* settings, each checked; a SystemExit naming a bad one."""
    allow = values["ALLOW_HTTP_WEBHOOKS"]
    if isinstance(allow, str):
        allow = {"1": True, "true": True, "0": False, "false": False, "": False}.get(
            allow.strip().lower(), allow)
    if allow not in (True, False, 0, 1):
        raise SystemExit("WIDGET_SERVER_ALLOW_HTTP_WEBHOOKS must be 1 or 0.")
    timeout = _seconds(values, "WEBHOOK_TIMEOUT", 0.1, 120)
    window = _seconds(values, "WEBHOOK_RETRY_WINDOW", 1, 30 * 86400)
    _seconds(values, "WEBHOOK_POLL", 0.05, 60)
    raw = values["WEBHOOK_BACKOFF"]
    steps = raw if isinstance(raw, list) else str(raw).split(",")
    try:
        backoff = tuple(float(step) for step in steps)
    except ValueError:
        backoff = ()
    if not backoff or not all(math.isfinite(s) and 0 < s <= 86400 for s in backoff):
        raise SystemExit("WIDGET_SERVER_WEBHOOK_BACKOFF must be seconds between retries, "
                         "comma-separated, each above 0 and at most 86400 (e.g. 5,30,120).")
    ca_file = values["WEBHOOK_CA_FILE"] or None
    if ca_file is not None and not Path(str(ca_file)).is_file():
        raise SystemExit("WIDGET_SERVER_WEBHOOK_CA_FILE must name a readable file of "
                         "certificates (PEM).")
    return WebhookSettings(allow_http_loopback=bool(allow), timeout=timeout,
                           backoff=backoff, retry_window=window,
                           ca_file=str(ca_file) if ca_file else None)


def _seconds(values: Any, name: str, low: float, high: float) -> float:
    value = values[name]
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number) or not low <= number <= high:
        raise SystemExit(f"WIDGET_SERVER_{name} must be a number of seconds from {low} to "
                         f"{high}.")
    values[name] = number
    return number


def serving_problem(app: Flask) -> str | None:
    """Why this configuration must not serve, or None. Several processes sharing a message
    queue must share one SECRET_KEY: with one each from its instance folder, each rejects the
    tokens the others issued."""
    if app.config["MESSAGE_QUEUE"] and app.config.get("SECRET_KEY_FROM_INSTANCE"):
        return ("WIDGET_SERVER_MESSAGE_QUEUE is set but WIDGET_SERVER_SECRET_KEY is not: "
                "processes sharing a message queue must share one secret key, or each rejects "
                "the others' tokens. Set the same WIDGET_SERVER_SECRET_KEY for every process.")
    return None


def serving_warning(app: Flask) -> str | None:
    """A configuration that serves, but not as the operator likely means: processes sharing a
    message queue, each signing with its own instance key, serve JWKS that differ, so a
    receipt one signed does not verify against the keys another lists."""
    if app.config["MESSAGE_QUEUE"] and app.config.get("SIGNING_KEY_FROM_INSTANCE"):
        return "signing_key_per_process"
    return None


def _instance_secret(path: Path) -> str:
    """A secret made once per instance, readable by its owner only."""
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
