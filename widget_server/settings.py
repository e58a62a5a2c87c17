"""Every setting checked once, at start (CONTRACT §F): a bad value stops the process with exit
status 2 and a message naming the variable and what it allows.

Flask's own config with explicit checks rather than pydantic-settings: the values already arrive
through `from_prefixed_env` (which reads JSON where it can, so `1` is a number and `true` a
bool), tests and the CLI pass overrides the same way, and one table here names each setting's
rule beside the defaults in config.py, with no second settings object to keep in step.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PREFIX = "WIDGET_SERVER_"


class BadSetting(SystemExit):
    """A setting that cannot work: exit status 2, the message for the operator."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = 2


@dataclass(frozen=True)
class Rule:
    allowed: str  # what the setting takes, in the operator's words
    check: Callable[[Any], Any]  # the value as the server uses it; ValueError if it cannot be


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise ValueError from None  # no Python wording in the operator's message
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError
    return float(value)


def number(low: float, high: float = math.inf, above: bool = False) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        n = _number(value)
        if n < low or (above and n == low) or n > high:
            raise ValueError
        return n
    return check


def integer(low: int, high: int | None = None) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        n = _number(value)
        if n != int(n) or n < low or (high is not None and n > high):
            raise ValueError
        return int(n)
    return check


def optional(inner: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        return None if value in (None, "", 0, "0") else inner(value)
    return check


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on", "0",
                                                            "false", "no", "off"):
        return value.strip().lower() in ("1", "true", "yes", "on")
    raise ValueError


def choice(*options: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in options:
            raise ValueError
        return str(value)
    return check


def text(max_length: int = 2000, min_length: int = 1) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not min_length <= len(value) <= max_length or any(
                ord(c) < 0x20 for c in value):
            raise ValueError
        return value
    return check


def url(*schemes: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError
        parts = urlsplit(value)
        if parts.scheme not in schemes or not (parts.netloc or parts.path):
            raise ValueError
        return value
    return check


def database_url(value: Any) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if not isinstance(value, str):
        raise ValueError
    try:
        backend = make_url(value).get_backend_name()
    except ArgumentError:
        raise ValueError from None
    if backend not in ("sqlite", "postgresql"):
        raise ValueError
    return value


def public_url(value: Any) -> str:
    checked = url("http", "https")(value)
    parts = urlsplit(checked)
    if not parts.hostname or parts.query or parts.fragment:
        raise ValueError
    return checked.rstrip("/")


def rate(value: Any) -> str:
    from limits import parse

    if not isinstance(value, str):
        raise ValueError
    try:
        parse(value)
    except ValueError:
        raise ValueError from None
    return value


def existing_file(value: Any) -> str:
    if not isinstance(value, str) or not Path(value).is_file():
        raise ValueError
    return value


def smtp_url(value: Any) -> str:
    from widget_server.services.mail import SCHEMES, Mailer

    if not isinstance(value, str):
        raise ValueError
    try:
        Mailer.from_url(value, "x@example.org")
    except ValueError as err:
        raise ValueError(str(err).split(": ", 1)[-1]) from None
    assert urlsplit(value).scheme in SCHEMES
    return value


def seconds_list(value: Any) -> tuple[float, ...]:
    """Seconds, comma-separated (or a JSON list), each above 0 and at most a day."""
    steps = value if isinstance(value, list) else str(value).split(",")
    checked = tuple(number(0, 86400, above=True)(step) for step in steps)
    if not checked:
        raise ValueError
    return checked


SECONDS = "a number of seconds"
RULES: dict[str, Rule] = {
    "DATABASE_URL": Rule("a SQLAlchemy URL of SQLite or PostgreSQL "
                         "(postgresql+psycopg2://user@host/db)", optional(database_url)),
    "SECRET_KEY": Rule("text of at least 32 characters (unset: made once in the instance folder)",
                       optional(text(4096, min_length=32))),
    "SIGNING_KEY_FILE": Rule("a file path (unset: signing_key.json in the instance folder)",
                             optional(text(4096))),
    "CHECKPOINT_INTERVAL": Rule(f"{SECONDS} from 1 to 60", number(1, 60)),
    "PUBLIC_URL": Rule("an http(s) URL without query or fragment, e.g. https://consent.example.edu",
                       optional(public_url)),
    "MESSAGE_QUEUE": Rule("a Redis URL (redis://host:6379/0) or nothing",
                          optional(url("redis", "rediss"))),
    "ASYNC_MODE": Rule("eventlet, gevent or threading", choice("eventlet", "gevent", "threading")),
    "MAX_CONTENT_LENGTH": Rule("a number of bytes from 1024 to 16777216",
                               integer(1024, 16 * 1024 * 1024)),
    "SOCKET_MAX_MESSAGE": Rule("a number of bytes from 1024 to 16777216",
                               integer(1024, 16 * 1024 * 1024)),
    "SOCKET_RATE": Rule("events a second, above 0", number(0, above=True)),
    "SOCKET_BURST": Rule("a whole number of events, at least 1", integer(1)),
    "HOST_BATCH_WINDOW": Rule(f"{SECONDS} from 0 to 5", number(0, 5)),
    "PURGE_INTERVAL": Rule(f"{SECONDS} from 1 to 86400 (e.g. 3600 for hourly)",
                           number(1, 86400)),
    "MAX_CONNECTIONS": Rule("a whole number from 16 to 1000000", integer(16, 1_000_000)),
    "GC_POLICY": Rule("true or false", boolean),
    "BACKLOG": Rule("a whole number from 1 to 65535", integer(1, 65535)),
    "COMMIT_TIMEOUT": Rule(f"{SECONDS} above 0, at most 300", number(0, 300, above=True)),
    "MAX_PARTICIPANTS_PER_CALL": Rule("a whole number, 0 for no limit", integer(0)),
    "PRESENCE_CHECK": Rule(f"{SECONDS} from 0.1 to 3600", number(0.1, 3600)),
    "HEADER_TIMEOUT": Rule(f"{SECONDS} above 0, at most 3600", number(0, 3600, above=True)),
    "SOCKET_TIMEOUT": Rule(f"{SECONDS} above 0, at most 3600", number(0, 3600, above=True)),
    "RATE_LIMITS": Rule("true or false", boolean),
    "API_RATE_LIMIT": Rule("a rate such as 100/second or 6000/minute", rate),
    "AUTH_FAILURE_LIMIT": Rule("a rate such as 20/minute", rate),
    "SOURCE_CONNECT_RATE": Rule("connections a second, above 0", number(0, above=True)),
    "SOURCE_CONNECT_BURST": Rule("a whole number of connections, at least 1", integer(1)),
    "TRUSTED_PROXY_HOPS": Rule("a whole number of proxies from 0 to 10", integer(0, 10)),
    "READY_MIN_FREE_BYTES": Rule("a whole number of bytes, 0 or more", integer(0)),
    "MAX_CALL_HOURS": Rule("a number of hours above 0 and at most 8760 (fractions allowed, "
                           "e.g. 0.5); the default is 24", number(0, 8760, above=True)),
    "SMTP_URL": Rule("smtp://host:port, smtp+starttls://host:port or smtps://user:pass@host:port "
                     "(credentials only over TLS), or nothing", optional(smtp_url)),
    "SMTP_FROM": Rule("a sender such as Consent <consent@example.edu>", text(320)),
    "SMTP_CA_FILE": Rule("the path of an existing CA file, or nothing", optional(existing_file)),
    "SMTP_TIMEOUT": Rule(f"{SECONDS} above 0, at most 120", number(0, 120, above=True)),
    "MANAGE_LINKS_PER_HOUR": Rule("a whole number from 1 to 100", integer(1, 100)),
    "METRICS": Rule("true or false", boolean),
    "METRICS_PORT": Rule("a port from 1 to 65535, or nothing", optional(integer(1, 65535))),
    "METRICS_HOST": Rule("an address to listen on, e.g. 127.0.0.1", text(255)),
    "ALLOW_HTTP_WEBHOOKS": Rule("true or false (http:// to loopback; development and tests "
                                "only)", boolean),
    "WEBHOOK_TIMEOUT": Rule(f"{SECONDS} from 0.1 to 120", number(0.1, 120)),
    "WEBHOOK_BACKOFF": Rule("seconds between retries, comma-separated, each above 0 and at most "
                            "86400 (e.g. 5,30,120)", seconds_list),
    "WEBHOOK_RETRY_WINDOW": Rule(f"{SECONDS} from 1 to 2592000 (30 days)",
                                 number(1, 30 * 86400)),
    "WEBHOOK_POLL": Rule(f"{SECONDS} from 0.05 to 60", number(0.05, 60)),
    "WEBHOOK_CA_FILE": Rule("the path of an existing file of certificates (PEM), or nothing",
                            optional(existing_file)),
    # Below 2 nothing would be suppressed: a count of 1 is one person.
    "STATS_MIN_COUNT": Rule("a whole number from 2 to 1000; the default is 5",
                            integer(2, 1000)),
}


# Settings whose value may hold a secret (a key, a password in a URL): never echoed.
SECRET = frozenset({"SECRET_KEY", "DATABASE_URL", "MESSAGE_QUEUE", "SMTP_URL"})


def check(config: Any, names: list[str]) -> None:
    """Check and normalise each named setting in place; BadSetting for the first bad one."""
    for name in names:
        rule = RULES[name]
        try:
            config[name] = rule.check(config[name])
        except (ValueError, TypeError) as err:
            detail = f" ({err})" if str(err) else ""
            got = "" if name in SECRET else f"; got {shown(config[name])}"
            raise BadSetting(f"{PREFIX}{name} must be {rule.allowed}{detail}{got}.") from None


def shown(value: Any) -> str:
    """The bad value, short, for the message."""
    text_value = repr(value)
    return text_value if len(text_value) <= 60 else text_value[:57] + "…"
