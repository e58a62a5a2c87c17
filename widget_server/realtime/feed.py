"""Delivering committed updates to a call's hosts, batched under bursts.

The updates of one group commit go out together as one list (publish_many): batching that
costs no delay, since they were committed together, and under a burst turns hundreds of
updates into a few messages. With HOST_BATCH_WINDOW set (off by default) messages are also
spaced in time: the first after a quiet spell goes out at once, later ones wait for the window
to end and go out together. Nothing is dropped or merged: each update keeps its sequence number.

Measured in S2 (1,000 decisions/s, 5,000 connected): a 10 ms window gave p50 35 ms and p99
190 ms, against 17 ms and 59 ms without it; hence no window by default.
"""

import threading
import time
from collections.abc import Callable
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
    def __init__(self, io: SocketIO, window: float,
                 after_publish: Callable[[str], None] | None = None) -> None:
        self.io = io
        self.window = window
        # Told of each call whose committed updates were published (the processors' plans).
        self.after_publish = after_publish
        self._pending: dict[str, list[dict[str, Any]]] = {}
        self._last_sent: dict[str, float] = {}
        # Under eventlet this is a green lock (the entry point monkey-patches threading).
        self._lock = threading.Lock()
        # Told of every committed change (the serve process's webhook sender wakes on it, so
        # the outbox rows just committed go at once instead of at its next look).
        self.on_change: Callable[[], None] | None = None

    def announce_call_ended(self, call_id: str) -> None:
        """Tell the call's participants it has ended (after the commit that ended it)."""
        self.io.emit("call_ended", {"call_id": call_id}, to=participant_room(call_id),
                     namespace=PARTICIPANT_NAMESPACE)

    def announce_notice_changed(self, change: dict[str, Any]) -> None:
        """Tell the call's participants its notice changed (after the commit that changed it):
        which purposes to ask again, which went, and the state the former now stand at."""
        self.io.emit("notice_changed", change, to=participant_room(change["call_id"]),
                     namespace=PARTICIPANT_NAMESPACE)

    def send_roster(self, call_id: str, roster: dict[str, Any]) -> None:
        """A fresh roster to the call's hosts (after a notice change every state and the
        columns may have changed; hosts drop updates with seq ≤ roster.seq)."""
        self.io.emit("roster", roster, to=host_room(call_id), namespace=HOST_NAMESPACE)

    def outbox_written(self) -> None:
        """A commit wrote webhook deliveries: the sender looks at the outbox now."""
        if self.on_change is not None:
            self.on_change()

    def publish_many(self, call_id: str, updates: list[dict[str, Any]]) -> None:
        """Send updates committed together, in order, as one message."""
        if not updates:
            return
        if self.after_publish is not None:
            self.after_publish(call_id)
        with self._lock:
            if call_id in self._pending:
                self._pending[call_id].extend(updates)
                return
            now = time.monotonic()
            send_now = self.window <= 0 or now - self._last_sent.get(call_id, 0.0) >= self.window
            if send_now:
                if self.window > 0:  # without a window nothing is spaced: nothing to remember
                    self._last_sent[call_id] = now
            else:
                self._pending[call_id] = list(updates)
        if send_now:
            payload: Any = updates[0] if len(updates) == 1 else updates
            self.io.emit("update", payload, to=host_room(call_id), namespace=HOST_NAMESPACE)
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
