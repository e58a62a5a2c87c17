"""Socket.IO: the participant and host namespaces, on the app's single SocketIO instance."""

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from flask_socketio import SocketIO

from widget_server import logs
from widget_server.realtime import HostFeed
from widget_server.realtime.committer import Committer
from widget_server.realtime.feed import HOST_NAMESPACE, PARTICIPANT_NAMESPACE
from widget_server.realtime.plans import PROCESSOR_NAMESPACE, PlanFeed
from widget_server.realtime.queue import manager_for
from widget_server.services import live
from widget_server.services.mail import Mailer
from widget_server.settings import BadSetting
from widget_server.sockets import edge
from widget_server.sockets.admission import ConnectBudget
from widget_server.sockets.host import HostNamespace
from widget_server.sockets.lease import Lease
from widget_server.sockets.mail_budget import ManageLinkBudget
from widget_server.sockets.origins import EmbedOrigins
from widget_server.sockets.participant import ParticipantNamespace
from widget_server.sockets.presence import PresenceCheck
from widget_server.sockets.processor import ProcessorNamespace


def register_sockets(app: Flask, io: SocketIO) -> None:
    allowed = EmbedOrigins(app)
    app.extensions["widget_origins"] = allowed
    app.extensions["widget_connect_budget"] = ConnectBudget(app)
    io.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        message_queue=app.config["MESSAGE_QUEUE"],
        # Redis, watched: hosts hear when the queue is down and when to resync (realtime/queue).
        client_manager=manager_for(app.config["MESSAGE_QUEUE"]),
        cors_allowed_origins=allowed,
        cors_credentials=False,
        max_http_buffer_size=app.config["SOCKET_MAX_MESSAGE"],
        # Each client's events run one after another, in the order it sent them: a grant and
        # a withdraw sent quickly are applied in that order (DESIGN §2, Ordering).
        async_handlers=False,
        # Their warnings and errors go through the one log pipeline, as templates.
        logger=logs.library_logger("socketio"),
        engineio_logger=logs.library_logger("engineio"),
    )
    app.wsgi_app = decline_websocket_compression(app.wsgi_app)  # type: ignore[method-assign,assignment]
    edge.harden(io)
    # Registered on python-socketio's server itself: see sockets/base.py for why.
    participants = ParticipantNamespace(PARTICIPANT_NAMESPACE, app)
    io.server.register_namespace(participants)
    io.server.register_namespace(HostNamespace(HOST_NAMESPACE, app))
    processors = ProcessorNamespace(PROCESSOR_NAMESPACE, app)
    io.server.register_namespace(processors)
    plans = PlanFeed(io, app.extensions["widget_db"])
    app.extensions["widget_plans"] = plans
    # Every commit hosts hear of (committer and REST alike) gives processors a fresh plan.
    feed = HostFeed(io, app.config["HOST_BATCH_WINDOW"], after_publish=plans.changed)
    app.extensions["widget_feed"] = feed
    app.extensions["widget_grant_revoked"] = processors.revoked
    app.extensions["widget_processors_changed"] = plans.grants_changed
    committer = Committer(
        app.extensions["widget_db"], feed, io.start_background_task, io.sleep,
        timeout=float(app.config["COMMIT_TIMEOUT"]),
        policy=live.Policy(max_participants=int(app.config["MAX_PARTICIPANTS_PER_CALL"])))
    app.extensions["widget_committer"] = committer
    app.extensions["widget_presence"] = PresenceCheck(app, participants, committer)
    app.extensions["widget_lease"] = Lease(app, committer, participants.drop_participants)
    app.extensions["widget_mailer"] = mailer_for(app)
    app.extensions["widget_manage_link_budget"] = ManageLinkBudget(app)


def mailer_for(app: Flask) -> Mailer | None:
    """The SMTP connection the manage link goes through, or None when none is set up. A URL
    that cannot work stops the server at start, naming what is wrong."""
    url = app.config.get("SMTP_URL")
    if not url:
        return None
    try:
        return Mailer.from_url(str(url), str(app.config["SMTP_FROM"]),
                               ca_file=app.config.get("SMTP_CA_FILE") or None,
                               timeout=float(app.config["SMTP_TIMEOUT"]))
    except ValueError as err:  # settings.py checked it already; kept for direct callers
        raise BadSetting(str(err)) from None


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
