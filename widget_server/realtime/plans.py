"""Pushing fresh plans to a call's processors after each committed change (CONTRACT §D).

Every commit that hosts hear of (HostFeed.publish_many, from the committer and from REST views
alike) marks its call changed here. A burst of commits costs one plan computation per call, not
one per commit: a call has at most one push running and at most one more pending; changes
that arrive while a push computes are covered by the next one, which reads after them. Each
push computes, in one read, the plan of every purpose that has a processor, off the event
loop on SQLite (as the committer writes, widget_server.offload), and emits each plan to the
rooms of that purpose's grants: one room per grant, so that revoking one closes its room on
every process at once (through the message queue), the others untouched.

Calls without processors cost nothing per commit: a push that finds none remembers it for
NO_PROCESSORS_TTL seconds (forgotten at once when a grant is made or a processor connects on
this process). A grant made on another process is caught up with by the processor
namespace's sweep (`catch_up`: every call with processors connected here whose update seq is
ahead of the last plan sent gets one), so no change stays unpushed for longer than that.

Hosts hear of processors here too: `processors` (name, purpose, last plan applied, delay) to
the call's host room after a grant is made, revoked or applied.
"""

import threading
import time
from collections.abc import Callable
from typing import Any

from flask_socketio import SocketIO

from widget_server import logs, offload
from widget_server.realtime.feed import HOST_NAMESPACE, host_room
from widget_server.services import processing
from widget_server.services.database import Database

PROCESSOR_NAMESPACE = "/processor"
NO_PROCESSORS_TTL = 1.0  # seconds a call found without processors is not looked at again
MAX_REMEMBERED = 10_000  # calls remembered (without processors; last seq sent)


def grant_room(grant_id: str) -> str:
    return f"grant:{grant_id}"


class PlanFeed:
    def __init__(self, io: SocketIO, database: Database,
                 start_task: Callable[..., Any] | None = None) -> None:
        self.io = io
        self.database = database
        self._start_task = start_task or io.start_background_task
        self._running: set[str] = set()  # calls with a push scheduled or running
        self._again: set[str] = set()  # calls changed while their push was running
        self._without: dict[str, float] = {}  # call → until when it is known to have none
        self.sent_seq: dict[str, int] = {}  # call → seq of the last plans pushed from here
        # Under eventlet this is a green lock (the entry point monkey-patches threading).
        self._lock = threading.Lock()
        self.computed = 0  # plan computations, for tests and metrics

    def changed(self, call_id: str) -> None:
        """A change of the call was committed: its processors get a fresh plan shortly."""
        with self._lock:
            until = self._without.get(call_id)
            if until is not None:
                if time.monotonic() < until:
                    return
                del self._without[call_id]
            if call_id in self._running:
                self._again.add(call_id)
                return
            self._running.add(call_id)
        # A task, so it runs after the current batch's acknowledgements and publishes.
        self._start_task(self._push, call_id)

    def _push(self, call_id: str) -> None:
        while True:
            with self._lock:
                self._again.discard(call_id)  # what changes from here on, the next round reads
            try:
                self._push_once(call_id)
            except Exception as err:  # a failed push must not stop the next ones
                logs.failure("plan_push_failed", err, call=call_id)
            with self._lock:
                if call_id not in self._again:
                    self._running.discard(call_id)
                    return

    def expect(self, call_id: str) -> None:
        """The call may have processors now (a grant made, a processor connected)."""
        with self._lock:
            self._without.pop(call_id, None)

    def catch_up(self, call_ids: set[str]) -> None:
        """Push to these calls (with processors connected here) if a change was committed
        since the last plans pushed from this process: one made on another process before
        that process knew of the grant."""
        if not call_ids:
            return
        seqs = self._run(processing.update_seqs, call_ids)
        for call_id, seq in seqs.items():
            if seq > self.sent_seq.get(call_id, -1):
                self.expect(call_id)
                self.changed(call_id)

    def _push_once(self, call_id: str) -> None:
        plans, grants = self._read(call_id)
        self.computed += 1
        if not grants:
            with self._lock:
                if len(self._without) > MAX_REMEMBERED:
                    self._without.clear()
                self._without[call_id] = time.monotonic() + NO_PROCESSORS_TTL
            return
        if len(self.sent_seq) > MAX_REMEMBERED:
            self.sent_seq.clear()
        self.sent_seq[call_id] = next(iter(plans.values()))["seq"]
        for grant_id, purpose in grants:
            self.io.emit("plan", plans[purpose], to=grant_room(grant_id),
                         namespace=PROCESSOR_NAMESPACE)

    def _read(self, call_id: str) -> tuple[dict[str, dict[str, Any]], list[tuple[str, str]]]:
        if self.database.is_sqlite:
            return offload.run(self._compute, call_id)
        return self._compute(call_id)

    def _run(self, work: Callable[..., Any], *args: Any) -> Any:
        """A read session for `work`, off the event loop on SQLite."""
        def read() -> Any:
            with self.database.read_session() as session:
                return work(session, *args)
        return offload.run(read) if self.database.is_sqlite else read()

    def _compute(self, call_id: str) -> tuple[dict[str, dict[str, Any]], list[tuple[str, str]]]:
        """Runs off the event loop on SQLite: no logging or green locks in here."""
        with self.database.read_session() as session:
            grants = processing.active_processors(session, call_id)
            if not grants:
                return {}, []
            return processing.plans_of_call(session, call_id, {p for _, p in grants}), grants

    # hosts ------------------------------------------------------------------------------
    def grants_changed(self, call_id: str) -> None:
        """A grant was made, revoked or applied: hosts see the processors, and the call is
        looked at on its next change."""
        self.expect(call_id)
        self.tell_hosts(call_id)

    def tell_hosts(self, call_id: str) -> None:
        """The call's processors, as they stand now, to its hosts."""
        try:
            self.io.emit("processors", self.processors(call_id), to=host_room(call_id),
                         namespace=HOST_NAMESPACE)
        except Exception as err:  # the dashboard catches up on its next connect
            logs.failure("processors_push_failed", err, call=call_id)

    def processors(self, call_id: str) -> dict[str, Any]:
        return {"call_id": call_id, "items": self._run(processing.processors, call_id)}
