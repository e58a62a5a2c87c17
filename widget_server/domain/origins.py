"""Embed origins: exact scheme://host[:port], the unit browsers use for frame-ancestors and CORS."""

from urllib.parse import urlsplit

from widget_server.domain.errors import ValidationFailed


def normalise_origin(origin: str) -> str:
    parts = urlsplit(origin.strip())
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username
        or "*" in origin
    ):
        raise ValidationFailed(
            f"{origin!r} is not an origin; expected scheme://host[:port] with nothing after it.",
            fields={"origins": [f"Not an origin: {origin!r}"]},
        )
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"
