"""What both namespaces share: admitting a token, running a use case, answering with an ack.

The namespaces are python-socketio's own, registered on the server Flask-SocketIO creates,
rather than Flask-SocketIO's: those push a Flask request context for every event, which cost
a sixth of the server's CPU under load. Nothing here needs one; the app is passed in.
"""

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import socketio
from flask import Flask

from widget_server import logs
from widget_server.domain import tokens
from widget_server.domain.errors import DomainError, ForeignOrigin, RateLimited, WrongCall
from widget_server.domain.ids import utcnow
from widget_server.realtime import HostFeed
from widget_server.realtime.committer import Committer
from widget_server.schemas.problems import ack_error, ack_for
from widget_server.services import calls, metrics
from widget_server.services.database import Database
from widget_server.sockets.connections import Connection, Registry, TokenBucket

# A connection that keeps sending past its budget after this many refusals is cut off.
MAX_REFUSALS = 20
END_TTL = 2.0  # seconds a call's end time is remembered at connect
UseCase = Callable[[Connection, dict[str, Any]], dict[str, Any]]


class CallNamespace(socketio.Namespace):
    role = ""

    def __init__(self, namespace: str, app: Flask) -> None:
        super().__init__(namespace)
        self.app = app
        self.connections = Registry()
        # Read when scraped: the namespace's admitted connections in this process.
        metrics.CONNECTIONS.labels(namespace).set_function(self.connections.__len__)
        self._ends: dict[str, tuple[datetime | None, float]] = {}

    @property
    def database(self) -> Database:
        db: Database = self.app.extensions["widget_db"]
        return db

    @property
    def committer(self) -> Committer:
        committer: Committer = self.app.extensions["widget_committer"]
        return committer

    @property
    def feed(self) -> HostFeed:
        hosts: HostFeed = self.app.extensions["widget_feed"]
        return hosts

    def admit(self, sid: str, auth: Any) -> Connection:
        """Check the token before any database work; refuse with a coded connect_error."""
        token = auth.get("token") if isinstance(auth, dict) else None
        environ = self.server.get_environ(sid, namespace=self.namespace)
        try:
            if not self.app.extensions["widget_connect_budget"].take(environ):
                raise RateLimited("Too many connections from this source; try again shortly.")
            call_id = tokens.read(self.app.config["SECRET_KEY"], token, self.role).call_id
            tokens.check_life(self.role, self._ended_at(call_id), utcnow())
            # The widget names the call its page was framed for (and whose origins allowed the
            # framing); a token of another call must not ride in on that permission.
            framed_for = auth.get("call") if isinstance(auth, dict) else None
            if framed_for is not None and framed_for != call_id:
                raise WrongCall("This token belongs to another call than the widget's page.")
            if not self.app.extensions["widget_origins"].allows(
                    (environ or {}).get("HTTP_ORIGIN"), call_id, environ):
                raise ForeignOrigin("This page's origin may not use this call's token.")
        except DomainError as err:
            logs.limited("connect_refused", namespace=self.namespace, code=err.code)
            # Socket.IO v5 sends {"message", "data"}; browsers read the code as err.data.code.
            raise socketio.exceptions.ConnectionRefusedError(
                err.message, {"code": err.code, "message": err.message}) from None
        config = self.app.config
        connection = Connection(call_id=call_id,
                                bucket=TokenBucket(config["SOCKET_RATE"], config["SOCKET_BURST"]),
                                resume=auth.get("resume") if isinstance(auth, dict) else None)
        self.connections.add(sid, connection)
        return connection

    def _ended_at(self, call_id: str) -> datetime | None:
        """When the call ended, remembered for a moment: a lecture's burst of connections then
        costs one query, not thousands. Safe because joining re-checks the call under its
        lock, so a call ended meanwhile still refuses the join."""
        now = time.monotonic()
        known = self._ends.get(call_id)
        if known is not None and now - known[1] < END_TTL:
            return known[0]
        with self.database.read_session() as session:
            ended = calls.ended_at(session, call_id)
        if len(self._ends) > 10_000:
            self._ends.clear()
        self._ends[call_id] = (ended, now)
        return ended

    def guarded(self, sid: str, data: Any, use_case: UseCase) -> dict[str, Any]:
        """Rate-limit, check the payload's shape, run the use case, translate its errors."""
        connection = self.connections.get(sid)
        if connection is None:
            return ack_error("not_connected", "This connection is not admitted.")
        if not connection.bucket.take():
            if connection.bucket.refusals > MAX_REFUSALS:
                logs.warning("rate_limit_disconnect", call=connection.call_id)
                self.disconnect(sid)
            return ack_error("rate_limited", "Too many events; slow down.")
        policy = self.app.extensions.get("widget_gc")
        if policy is not None:
            policy.activity()
        if not isinstance(data, dict):
            return ack_error("validation_failed", "The event's payload must be an object.")
        try:
            return {"ok": True, **use_case(connection, data)}
        except DomainError as err:
            logs.event("refused", namespace=self.namespace, call=connection.call_id,
                       participant=connection.participant_id, code=err.code)
            return ack_for(err)
