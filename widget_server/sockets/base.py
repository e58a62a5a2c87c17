"""What both namespaces share: admitting a token, running a use case, answering with an ack."""

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, request
from flask_socketio import ConnectionRefusedError, Namespace, disconnect

from widget_server import logs
from widget_server.domain.errors import DomainError, WrongCall
from widget_server.realtime import HostFeed
from widget_server.schemas.problems import ack_error, ack_for
from widget_server.services import calls
from widget_server.services.database import Database
from widget_server.sockets.connections import Connection, Registry, TokenBucket
from widget_server.sockets.group_commit import GroupCommitter

T = TypeVar("T")
# A connection that keeps sending past its budget after this many refusals is cut off.
MAX_REFUSALS = 20


def database() -> Database:
    db: Database = current_app.extensions["widget_db"]
    return db


def committer() -> "GroupCommitter":
    group: GroupCommitter = current_app.extensions["widget_committer"]
    return group


def feed() -> HostFeed:
    hosts: HostFeed = current_app.extensions["widget_feed"]
    return hosts


class CallNamespace(Namespace):
    role = ""

    def __init__(self, namespace: str) -> None:
        super().__init__(namespace)
        self.connections = Registry()

    def admit(self, auth: Any) -> Connection:
        """Check the token before any database work; refuse with a coded connect_error."""
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            with database().read_session() as session:
                call_id = calls.admit(session, current_app.config["SECRET_KEY"], token, self.role)
            # The widget names the call its page was framed for (and whose origins allowed the
            # framing); a token of another call must not ride in on that permission.
            framed_for = auth.get("call") if isinstance(auth, dict) else None
            if framed_for is not None and framed_for != call_id:
                raise WrongCall("This token belongs to another call than the widget's page.")
        except DomainError as err:
            logs.event("connect_refused", namespace=self.namespace, code=err.code)
            # Socket.IO v5 sends {"message", "data"}; browsers read the code as err.data.code.
            raise ConnectionRefusedError(err.message, {"code": err.code,
                                                       "message": err.message}) from None
        config = current_app.config
        connection = Connection(call_id=call_id,
                                bucket=TokenBucket(config["SOCKET_RATE"], config["SOCKET_BURST"]),
                                resume=auth.get("resume") if isinstance(auth, dict) else None)
        self.connections.add(request.sid, connection)  # type: ignore[attr-defined]
        return connection

    def current(self) -> Connection | None:
        return self.connections.get(request.sid)  # type: ignore[attr-defined]

    def guarded(self, data: Any, use_case: Callable[[Connection, dict[str, Any]], dict[str, Any]]
                ) -> dict[str, Any]:
        """Rate-limit, check the payload's shape, run the use case, translate its errors."""
        connection = self.current()
        if connection is None:
            return ack_error("not_connected", "This connection is not admitted.")
        if not connection.bucket.take():
            if connection.bucket.refusals > MAX_REFUSALS:
                logs.warning("rate_limit_disconnect", call=connection.call_id)
                disconnect()
            return ack_error("rate_limited", "Too many events; slow down.")
        policy = current_app.extensions.get("widget_gc")
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
