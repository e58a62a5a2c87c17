"""The /host namespace: a roster on connect, then numbered updates; resync after a gap."""

from typing import Any

from flask import current_app, request
from flask_socketio import join_room

from widget_server.domain.errors import ValidationFailed
from widget_server.domain.tokens import HOST
from widget_server.realtime import host_room, socketio
from widget_server.services import roster
from widget_server.sockets.base import CallNamespace, database
from widget_server.sockets.connections import Connection


class HostNamespace(CallNamespace):
    role = HOST

    def on_connect(self, auth: Any = None) -> None:
        connection = self.admit(auth)
        join_room(host_room(connection.call_id))
        # Sent from a task so that it follows the CONNECT packet; joining the room first means
        # no update can fall between the roster and the live feed (hosts drop seq ≤ roster.seq).
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        socketio.start_background_task(_send_roster, app, request.sid,  # type: ignore[attr-defined]
                                       connection.call_id)

    def on_resync(self, data: Any = None) -> dict[str, Any]:
        return self.guarded(data, _resync)

    def on_disconnect(self, reason: Any = None) -> None:
        self.connections.pop(request.sid)  # type: ignore[attr-defined]


def _send_roster(app: Any, sid: str, call_id: str) -> None:
    with app.app_context():
        with app.extensions["widget_db"].read_session() as session:
            snapshot = roster.roster(session, call_id)
        socketio.emit("roster", snapshot, to=sid, namespace="/host")


def _resync(connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
    since = data.get("since")
    if not isinstance(since, int) or isinstance(since, bool):
        raise ValidationFailed("since must be an integer sequence number.",
                               fields={"since": ["An integer."]})
    with database().read_session() as session:
        return roster.updates_since(session, connection.call_id, since)
