"""Embed origins: exact scheme://host[:port], the unit browsers use for frame-ancestors and CORS."""

import re
from urllib.parse import urlsplit

from widget_server.domain.errors import ValidationFailed

DEFAULT_PORTS = {"http": 80, "https": 443}
# A DNS name (letters, digits, hyphens, dots) or an IPv6 literal: nothing a header could split on.
_HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}"
                   r"[a-z0-9])?$|^\[[0-9a-f:.]+\]$")


def normalise_origin(origin: str) -> str:
    """The origin as browsers serialise it (lower-case host, no default port), or refused."""
    refused = ValidationFailed(
        f"{origin!r} is not an origin; expected scheme://host[:port] with nothing after it.",
        fields={"origins": [f"Not an origin: {origin!r}"]})
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        raise refused from None
    host = parts.netloc.rsplit("@", 1)[-1].lower()
    if port is not None or host.endswith(":"):
        host = host.rsplit(":", 1)[0]
    if (parts.scheme not in DEFAULT_PORTS or not host or not _HOST.match(host)
            or parts.path not in ("", "/") or parts.query or parts.fragment
            or "@" in parts.netloc or "*" in origin):
        raise refused
    shown_port = f":{port}" if port is not None and port != DEFAULT_PORTS[parts.scheme] else ""
    return f"{parts.scheme}://{host}{shown_port}"
