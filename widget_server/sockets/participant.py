"""The /participant namespace: the widget joins, decides, and leaves by disconnecting."""

from typing import Any

from widget_server import logs
from widget_server.domain.errors import AlreadyJoined, NotJoined
from widget_server.domain.tokens import WIDGET
from widget_server.realtime import participant_room
from widget_server.services.decisions import DecisionRequest
from widget_server.services.participants import JoinRequest, LeaveRequest
from widget_server.sockets.base import CallNamespace
from widget_server.sockets.connections import Connection


class ParticipantNamespace(CallNamespace):
    role = WIDGET

    def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        connection = self.admit(sid, auth)
        self.enter_room(sid, participant_room(connection.call_id))

    def on_join(self, sid: str, data: Any = None) -> dict[str, Any]:
        return self.guarded(sid, data, self._join)

    def on_decide(self, sid: str, data: Any = None) -> dict[str, Any]:
        return self.guarded(sid, data, self._decide)

    def on_disconnect(self, sid: str, reason: Any = None) -> None:
        connection = self.connections.pop(sid)
        if connection is None or connection.participant_id is None:
            return
        self.committer.submit(LeaveRequest(connection.call_id, connection.participant_id))
        logs.event("left", call=connection.call_id, participant=connection.participant_id)

    def _join(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        if connection.participant_id is not None:
            raise AlreadyJoined("This connection has joined already.")
        result = self.committer.submit(JoinRequest(
            connection.call_id, data.get("fields"), data.get("language"),
            resume=connection.resume))
        connection.participant_id = result["participant"]["id"]
        connection.resume = result["participant"]["resume"]
        logs.event("joined", call=connection.call_id, participant=connection.participant_id)
        return result

    def _decide(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        if connection.participant_id is None:
            raise NotJoined("Join the call before deciding.")
        result = self.committer.submit(DecisionRequest(
            connection.call_id, connection.participant_id, data.get("event_id"),
            data.get("choices"), data.get("fields")))
        # The ledger is the record of decisions; the log keeps them out of the hot path.
        logs.debug("decided", call=connection.call_id, participant=connection.participant_id,
                   seq=result["receipt"]["seq"])
        return result
