"""Socket.IO: the participant and host namespaces, on the app's single SocketIO instance."""

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from flask_socketio import SocketIO

from widget_server.realtime import HostFeed
from widget_server.realtime.feed import HOST_NAMESPACE, PARTICIPANT_NAMESPACE
from widget_server.services import organisations
from widget_server.sockets.group_commit import GroupCommitter
from widget_server.sockets.host import HostNamespace
from widget_server.sockets.participant import ParticipantNamespace

ORIGINS_TTL = 10.0


def register_sockets(app: Flask, io: SocketIO) -> None:
    allowed = EmbedOrigins(app)
    app.extensions["widget_origins"] = allowed
    io.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        message_queue=app.config["MESSAGE_QUEUE"],
        cors_allowed_origins=allowed,
        cors_credentials=False,
        max_http_buffer_size=app.config["SOCKET_MAX_MESSAGE"],
        # Each client's events run one after another, in the order it sent them: a grant and
        # a withdraw sent quickly are applied in that order (DESIGN §2, Ordering).
        async_handlers=False,
        logger=False,
        engineio_logger=False,
    )
    app.wsgi_app = decline_websocket_compression(app.wsgi_app)  # type: ignore[method-assign,assignment]
    # Registered on python-socketio's server itself: see sockets/base.py for why.
    io.server.register_namespace(ParticipantNamespace(PARTICIPANT_NAMESPACE, app))
    io.server.register_namespace(HostNamespace(HOST_NAMESPACE, app))
    feed = HostFeed(io, app.config["HOST_BATCH_WINDOW"])
    app.extensions["widget_feed"] = feed
    app.extensions["widget_committer"] = GroupCommitter(app, feed, io.start_background_task)


class EmbedOrigins:
    """The CORS allow-list: the organisations' origins and the server's own, never '*'.

    Read from memory only, so that an unauthenticated handshake costs no database work; the
    server's maintenance task refreshes it every ORIGINS_TTL seconds.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._origins: set[str] = set()

    def __call__(self, origin: str | None, environ: dict[str, Any] | None = None) -> bool:
        if origin is None:
            return True  # not a browser: nothing for CORS to protect
        if environ is not None and origin == _own_origin(environ):
            return True
        public = self.app.config.get("PUBLIC_URL")
        if public and origin == public.rstrip("/"):
            return True
        return origin in self._origins

    def refresh(self) -> None:
        with self.app.extensions["widget_db"].read_session() as session:
            self._origins = organisations.all_embed_origins(session)


def _own_origin(environ: dict[str, Any]) -> str:
    return f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def decline_websocket_compression(wsgi_app: WsgiApp) -> WsgiApp:
    """Hides a client's permessage-deflate offer, so its websocket is not compressed.

    A compressed websocket keeps a zlib compressor for its whole life: measured, 95 KB of
    memory per idle participant, more than everything else a connection holds (67 KB), to
    compress messages of a few hundred bytes. Browsers offer the extension by default; a
    server may decline it (RFC 7692), and clients then send and receive plain frames.
    """
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return wsgi_app(environ, start_response)

    return app
