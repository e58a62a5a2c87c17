"""The /host namespace: a roster on connect, then numbered updates; resync after a gap."""

from typing import Any

from widget_server import logs
from widget_server.domain.errors import ValidationFailed
from widget_server.domain.tokens import HOST
from widget_server.realtime import host_room
from widget_server.services import consent_history, roster
from widget_server.sockets.base import CallNamespace
from widget_server.sockets.connections import Connection


class HostNamespace(CallNamespace):
    role = HOST

    def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        connection = self.admit(sid, auth)
        self.enter_room(sid, host_room(connection.call_id))
        # Sent from a task so that it follows the CONNECT packet; joining the room first means
        # no update can fall between the roster and the live feed (hosts drop seq ≤ roster.seq).
        self.server.start_background_task(self._send_roster, sid, connection.call_id)

    def on_resync(self, sid: str, data: Any = None) -> dict[str, Any]:
        return self.guarded(sid, data, self._resync)

    def on_history(self, sid: str, data: Any = None) -> dict[str, Any]:
        """The call's past summaries for the consent chart: `{"ok", "seq", "points"}`."""
        return self.guarded(sid, data, self._history)

    def on_disconnect(self, sid: str, reason: Any = None) -> None:
        self.connections.pop(sid)

    def _send_roster(self, sid: str, call_id: str) -> None:
        try:
            with self.database.read_session() as session:
                snapshot = roster.roster(session, call_id)
            self.emit("roster", snapshot, to=sid)
            # The call's processors and the plan each last applied (the dashboard's panel).
            self.emit("processors", self.app.extensions["widget_plans"].processors(call_id),
                      to=sid)
        except Exception as err:  # a task of its own: logged, and the host's resync repairs
            logs.failure("roster_send_failed", err, call=call_id)

    def _history(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        if data:
            raise ValidationFailed("history takes no fields.",
                                   fields={name: ["Unknown field."] for name in data})
        with self.database.read_session() as session:
            return consent_history.summary_points(session, connection.call_id)

    def _resync(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        since = data.get("since")
        if not isinstance(since, int) or isinstance(since, bool):
            raise ValidationFailed("since must be an integer sequence number.",
                                   fields={"since": ["An integer."]})
        with self.database.read_session() as session:
            return roster.updates_since(session, connection.call_id, since)
