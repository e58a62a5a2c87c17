"""Which page origins may use which tokens: checked per organisation, from memory.

Two gates. At the Engine.IO handshake (no token yet) the CORS callable admits the server's own
origin and any organisation's origin: unauthenticated handshakes cost no database work. At each
namespace's CONNECT, once the token's signature is checked, the Origin must be the server's own
(the widget's iframe and the dashboard run there) or one of the token's organisation's: a page
of organisation B cannot use organisation A's token. Requests without Origin are not from a
browser page and are not restricted by it (the token is the authentication).

The server's own origin is PUBLIC_URL. An Origin equal to the Host header is not trusted by
itself (a DNS-rebound name makes them equal); without PUBLIC_URL only loopback names count as
the server's own, which is what a developer's machine needs.
"""

import threading
from typing import Any

from flask import Flask

from widget_server.domain.errors import NotFound
from widget_server.services import calls, organisations

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
MAX_CALLS_REMEMBERED = 50_000


class EmbedOrigins:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self._by_organisation: dict[str, frozenset[str]] = {}
        self._all: frozenset[str] = frozenset()
        self._owners: dict[str, str] = {}  # call id → organisation id; a call never moves
        self._lock = threading.Lock()

    def __call__(self, origin: str | None, environ: dict[str, Any] | None = None) -> bool:
        """The handshake gate (python-engineio's cors_allowed_origins callable)."""
        if origin is None:
            return True  # not a browser: nothing for CORS to protect
        return self.is_own(origin, environ) or origin in self._all

    def allows(self, origin: str | None, call_id: str, environ: dict[str, Any] | None) -> bool:
        """May a page of `origin` use a token of `call_id`?"""
        if origin is None or self.is_own(origin, environ):
            return True
        owner = self._owner(call_id)
        return owner is not None and origin in self._by_organisation.get(owner, frozenset())

    def is_own(self, origin: str, environ: dict[str, Any] | None) -> bool:
        public = self.app.config.get("PUBLIC_URL")
        if public:
            return bool(origin == public.rstrip("/"))
        if environ is None:
            return False
        host = environ.get("HTTP_HOST", "")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        scheme = environ.get("wsgi.url_scheme", "http")
        return name in LOOPBACK_HOSTS and origin == f"{scheme}://{host}"

    def refresh(self) -> None:
        with self.app.extensions["widget_db"].read_session() as session:
            by_organisation = organisations.origins_by_organisation(session)
        self._by_organisation = by_organisation
        self._all = frozenset().union(*by_organisation.values()) if by_organisation else frozenset()

    def _owner(self, call_id: str) -> str | None:
        owner = self._owners.get(call_id)
        if owner is not None:
            return owner
        try:
            with self.app.extensions["widget_db"].read_session() as session:
                owner = calls.organisation_of(session, call_id)
        except NotFound:
            return None
        with self._lock:
            if len(self._owners) >= MAX_CALLS_REMEMBERED:
                self._owners.clear()
            self._owners[call_id] = owner
        return owner
