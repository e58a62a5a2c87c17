"""The Socket.IO edge before any namespace: junk packets and the default namespace.

python-socketio raises on a packet it cannot decode (a bad type, bad JSON, an unexpected binary
packet); python-engineio then logs a traceback of ~670 bytes and keeps the connection. Here a
sender of junk is disconnected, and one short line is logged within a budget. The default
namespace `/` serves nothing of ours, so it refuses every connection.
"""

from typing import Any

import socketio
from flask_socketio import SocketIO

from widget_server import logs

DEFAULT_REFUSAL = ("Connect to /participant, /host or /processor; the default namespace "
                   "serves nothing.")


def harden(io: SocketIO) -> None:
    server: socketio.Server = io.server
    eio = server.eio
    decode = eio.handlers["message"]

    def on_message(eio_sid: str, data: Any) -> Any:
        try:
            if _event_for_a_stranger(server, eio_sid, data):
                raise LookupError("an event for a namespace the sender has not connected to")
            return decode(eio_sid, data)
        except Exception as err:
            logs.limited("junk_packet", error=type(err).__name__)
            sock = eio.sockets.get(eio_sid)
            if sock is not None:
                # wait=False: a polling sender never polls again, and waiting for it would
                # hold this request for good (the same hang as in guard.py).
                sock.close(wait=False, reason=eio.reason.SERVER_DISCONNECT)
            return None

    eio.on("message", on_message)

    def refuse_default(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        logs.limited("connect_refused", namespace="/", code="unknown_namespace")
        raise socketio.exceptions.ConnectionRefusedError(
            DEFAULT_REFUSAL, {"code": "unknown_namespace", "message": DEFAULT_REFUSAL})

    server.on("connect", refuse_default, namespace="/")


def _event_for_a_stranger(server: socketio.Server, eio_sid: str, data: Any) -> bool:
    """An EVENT or ACK packet (text or binary) for a namespace this connection has not
    connected to: python-socketio ignores it with a warning; here it counts as junk."""
    if not isinstance(data, str) or data[:1] not in ("2", "3", "5", "6"):
        return False
    rest = data[1:]
    if data[:1] in ("5", "6"):
        rest = rest.partition("-")[2]
    namespace = rest.partition(",")[0] if rest.startswith("/") else "/"
    return server.manager.sid_from_eio_sid(eio_sid, namespace) is None
