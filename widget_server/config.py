"""Configuration from WIDGET_SERVER_* environment variables (CONTRACT: Running it)."""

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from widget_server import settings
from widget_server.services.webhooks import Settings as WebhookSettings

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
    # Prometheus metrics (CONTRACT §F): at /metrics when on, or on a port of their own.
    "METRICS": False,
    "METRICS_PORT": None,
    "METRICS_HOST": "127.0.0.1",
    # Statistics (CONTRACT §D): a count below this is suppressed, with every count it could
    # be worked out from.
    "STATS_MIN_COUNT": 5,
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
    """The defaults, then WIDGET_SERVER_* from the environment, then `overrides`; every setting
    checked (settings.py): a bad one stops the process, naming it (exit status 2)."""
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env("WIDGET_SERVER")
    app.config.update(overrides or {})
    settings.check(app.config, list(DEFAULTS))
    app.config["WEBHOOKS"] = WebhookSettings(
        allow_http_loopback=app.config["ALLOW_HTTP_WEBHOOKS"],
        timeout=app.config["WEBHOOK_TIMEOUT"], backoff=app.config["WEBHOOK_BACKOFF"],
        retry_window=app.config["WEBHOOK_RETRY_WINDOW"], ca_file=app.config["WEBHOOK_CA_FILE"])
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'widget.db'}"
    if not app.config["SIGNING_KEY_FILE"]:
        app.config["SIGNING_KEY_FILE"] = str(Path(app.instance_path) / "signing_key.json")
        app.config["SIGNING_KEY_FROM_INSTANCE"] = True
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")
        app.config["SECRET_KEY_FROM_INSTANCE"] = True


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
