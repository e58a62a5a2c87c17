"""Delivering committed updates to a call's hosts, batched under bursts.

The first update after a quiet spell goes out at once; updates that follow within the batch
window wait for the window to end and go out together as a list. A host of a 2,000-person
lecture thus gets at most 1/window messages a second, each update arrives within a window of its
commit, and nothing is dropped or merged: every update keeps its own sequence number.
"""

import threading
import time
from typing import Any

from flask_socketio import SocketIO

socketio = SocketIO()

HOST_NAMESPACE = "/host"
PARTICIPANT_NAMESPACE = "/participant"


def host_room(call_id: str) -> str:
    return f"hosts:{call_id}"


def participant_room(call_id: str) -> str:
    return f"participants:{call_id}"


class HostFeed:
    def __init__(self, io: SocketIO, window: float) -> None:
        self.io = io
        self.window = window
        self._pending: dict[str, list[dict[str, Any]]] = {}
        self._last_sent: dict[str, float] = {}
        # Under eventlet this is a green lock (the entry point monkey-patches threading).
        self._lock = threading.Lock()

    def publish(self, call_id: str, update: dict[str, Any] | None) -> None:
        """Send a committed update to the call's hosts (None, as from a retry, sends nothing)."""
        if update is None:
            return
        with self._lock:
            if call_id in self._pending:
                self._pending[call_id].append(update)
                return
            now = time.monotonic()
            send_now = self.window <= 0 or now - self._last_sent.get(call_id, 0.0) >= self.window
            if send_now:
                self._last_sent[call_id] = now
            else:
                self._pending[call_id] = [update]
        if send_now:
            self.io.emit("update", update, to=host_room(call_id), namespace=HOST_NAMESPACE)
        else:
            self.io.start_background_task(self._flush_later, call_id)

    def _flush_later(self, call_id: str) -> None:
        self.io.sleep(self.window)
        with self._lock:
            batch = sorted(self._pending.pop(call_id, []), key=lambda u: u["seq"])
            self._last_sent[call_id] = time.monotonic()
        if batch:
            payload: Any = batch[0] if len(batch) == 1 else batch
            self.io.emit("update", payload, to=host_room(call_id), namespace=HOST_NAMESPACE)
