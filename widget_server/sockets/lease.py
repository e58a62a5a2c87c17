"""This process's presence lease, and the participants of processes that died (CONTRACT §F).

Every HEARTBEAT_SECONDS the lease is renewed (one UPDATE) and the leases of other processes
are looked at (a small table). Participants counted present through a dead process are
marked away through the committer, so the gates are recomputed and every host, on any
process, gets the `left` updates (services/leases.py says how death is judged). A complete
sweep for participants whose process has no lease at all runs every ORPHAN_SWEEP seconds.

On a clean stop (SIGTERM, serving.py) the process marks its own participants away and gives
its lease up before it exits.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask

from widget_server import logs, offload
from widget_server.domain.ids import utcnow
from widget_server.realtime import socketio
from widget_server.realtime.committer import Committer
from widget_server.services import leases, live
from widget_server.services.database import Database
from widget_server.services.live.commands import MarkAway

ORPHAN_SWEEP = 30.0
T = TypeVar("T")


class Lease:
    def __init__(self, app: Flask, committer: Committer,
                 drop_participants: Callable[[], int]) -> None:
        self.app = app
        self.committer = committer
        self.process = leases.new_process_id()
        # Called when this process finds its lease was taken for dead: the participants it
        # still serves were marked away, so their connections are closed and they join again.
        self.drop_participants = drop_participants
        self.stopping = False
        self._since_sweep = ORPHAN_SWEEP

    @property
    def database(self) -> Database:
        database: Database = self.app.extensions["widget_db"]
        return database

    def take(self) -> None:
        with self.database.session() as session:
            leases.take(session, self.process, utcnow())
        logs.event("lease_taken", process=self.process)

    def run(self) -> None:
        """The heartbeat loop (a background task) until the process stops."""
        while not self.stopping:
            socketio.sleep(leases.HEARTBEAT_SECONDS)
            if self.stopping:
                return
            try:
                self.beat()
            except Exception as err:  # the next beat tries again
                logs.failure("lease_failed", err)

    def beat(self) -> int:
        """Renew, then send away whoever a dead process held; returns how many were sent."""
        if not self._off_loop(self._renew):
            dropped = self.drop_participants()
            logs.warning("lease_lost", process=self.process, connections=dropped)
        return self.sweep()

    def sweep(self) -> int:
        self._since_sweep += leases.HEARTBEAT_SECONDS
        complete = self._since_sweep >= ORPHAN_SWEEP
        if complete:
            self._since_sweep = 0.0
        dead, away = self._off_loop(self._find, complete)
        for command in away:
            self.committer.submit_nowait(command)
        if away:
            logs.event("presence_released", participants=len(away),
                       processes=len({c.process for c in away}))
        elif dead:  # nobody is present through them any more
            self._off_loop(self._forget, dead)
            logs.event("leases_expired", processes=len(dead))
        return len(away)

    # database work: off the event loop on SQLite (as the committer's), no logging in here --
    def _off_loop(self, work: Callable[..., T], *args: Any) -> T:
        return offload.run(work, *args) if self.database.is_sqlite else work(*args)

    def _renew(self) -> bool:
        with self.database.session() as session:
            return leases.renew(session, self.process, utcnow())

    def _find(self, complete: bool) -> tuple[list[str], list[MarkAway]]:
        with self.database.read_session() as session:
            now = utcnow()
            dead = [p for p in leases.dead(session, now) if p != self.process]
            away = leases.held_by(session, dead)
            if complete:
                known = {(c.call_id, c.participant_id) for c in away}
                away += [c for c in leases.orphaned(session, now)
                         if c.process != self.process
                         and (c.call_id, c.participant_id) not in known]
        return dead, away

    def _forget(self, dead: list[str]) -> None:
        with self.database.session() as session:
            leases.forget(session, dead)

    def release(self) -> int:
        """A clean stop: this process's participants leave (hosts are told) and its lease goes.
        Applied here, not through the committer, which may be stopping with the process."""
        self.stopping = True
        with self.database.session() as session:
            commands: list[MarkAway] = leases.held_by(session, [self.process])
            applied = live.apply(session, commands) if commands else None
            leases.release(session, self.process)
        if applied is not None:
            for call_id, updates in applied.updates.items():
                self.committer.feed.publish_many(call_id, updates)
        logs.event("lease_released", process=self.process,
                   participants=len(commands))
        return len(commands)
