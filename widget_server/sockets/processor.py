"""The /processor namespace (CONTRACT §D): a client system acting on consent (recording bot,
transcriber, notes mailer) connects with its grant token (auth `{"token"}`), gets its plan at
once and a fresh one after every change of the call (realtime/plans.py), and confirms with
`applied` `{"seq"}` which plan it follows; the call's hosts see that.

Only a processor grant token is admitted here: widget and host tokens are not grant tokens,
and a grant token is neither (the other namespaces refuse it). A grant is for one call and one
purpose: auth naming another `call` or `purpose` is refused at connect, as is a `plan` request
naming another purpose. A revoked grant's connections are closed: at once on the process that
revoked it, within SWEEP seconds on the others (their plans stop at once: the grant's room is
closed on every process through the message queue).
"""

from dataclasses import dataclass
from typing import Any

import socketio
from flask import Flask

from widget_server import logs, offload
from widget_server.domain.errors import (
    DomainError,
    ForbiddenCall,
    RateLimited,
    ValidationFailed,
    WrongPurpose,
)
from widget_server.realtime.plans import PlanFeed, grant_room
from widget_server.services import grants, processing
from widget_server.services.grants import GrantIdentity
from widget_server.sockets.base import CallNamespace
from widget_server.sockets.connections import Connection, TokenBucket

# Seconds between looks at this process's processors: grants revoked elsewhere are cut, and
# changes committed elsewhere before that process knew of the grant are caught up with.
SWEEP = 1.0


@dataclass
class GrantConnection(Connection):
    grant: GrantIdentity | None = None


class ProcessorNamespace(CallNamespace):
    role = grants.PROCESSOR

    def __init__(self, namespace: str, app: Flask) -> None:
        super().__init__(namespace, app)
        self.grants: dict[str, GrantIdentity] = {}  # sid → the grant it was admitted with
        self._sweeping = False

    @property
    def plans(self) -> PlanFeed:
        feed: PlanFeed = self.app.extensions["widget_plans"]
        return feed

    # events ---------------------------------------------------------------------------
    def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        grant = self._admit_grant(sid, auth)
        self.enter_room(sid, grant_room(grant.id))
        self.plans.expect(grant.call_id)
        # After the CONNECT packet; in the room first, so no push can fall before this plan.
        self.server.start_background_task(self._send_plan, sid, grant)
        self._ensure_sweeping()

    def on_plan(self, sid: str, data: Any = None) -> dict[str, Any]:
        """The current plan, asked again (after a reconnect of the queue, say)."""
        return self.guarded(sid, {} if data is None else data, self._plan)

    def on_applied(self, sid: str, data: Any = None) -> dict[str, Any]:
        return self.guarded(sid, data, self._applied)

    def on_disconnect(self, sid: str, reason: Any = None) -> None:
        self.connections.pop(sid)
        self.grants.pop(sid, None)

    # revocation -----------------------------------------------------------------------
    def revoked(self, grant_id: str) -> None:
        """A grant was revoked: its room is closed everywhere, its connections here cut."""
        room = grant_room(grant_id)
        self.emit("revoked", {"grant_id": grant_id}, room=room)
        self.close_room(room)
        self._cut({sid for sid, g in self.grants.items() if g.id == grant_id})

    def _ensure_sweeping(self) -> None:
        if not self._sweeping:
            self._sweeping = True
            self.server.start_background_task(self._sweep)

    def _sweep(self) -> None:
        """Cut connections whose grant another process revoked; catch up with changes."""
        while True:
            self.server.sleep(SWEEP)
            if not self.grants or self.committer.stopped:
                self._sweeping = False  # no yield between the check and this: no race
                return
            ids = {g.id for g in self.grants.values()}
            try:
                gone = self._read(lambda s, ids=ids: grants.revoked_among(s, ids))
            except Exception as err:
                logs.failure("grant_sweep_failed", err)
                continue
            self._cut({sid for sid, g in list(self.grants.items()) if g.id in gone})
            try:
                self.plans.catch_up({g.call_id for g in self.grants.values()})
            except Exception as err:
                logs.failure("plan_catch_up_failed", err)

    def _cut(self, sids: set[str]) -> None:
        for sid in sids:
            self.grants.pop(sid, None)
            self.disconnect(sid)

    # use cases ------------------------------------------------------------------------
    def _admit_grant(self, sid: str, auth: Any) -> GrantIdentity:
        auth = auth if isinstance(auth, dict) else {}
        environ = self.server.get_environ(sid, namespace=self.namespace)
        try:
            if not self.app.extensions["widget_connect_budget"].take(environ):
                raise RateLimited("Too many connections from this source; try again shortly.")
            token = auth.get("token")
            grant = self._read(lambda s: grants.authenticate(s, token, grants.PROCESSOR))
            if auth.get("call") is not None and auth["call"] != grant.call_id:
                raise ForbiddenCall("This grant token is for another call.")
            if auth.get("purpose") is not None and auth["purpose"] != grant.purpose:
                raise WrongPurpose("This grant token reads the plan of its own purpose only.")
        except DomainError as err:
            logs.limited("connect_refused", namespace=self.namespace, code=err.code)
            raise socketio.exceptions.ConnectionRefusedError(
                err.message, {"code": err.code, "message": err.message}) from None
        config = self.app.config
        self.connections.add(sid, GrantConnection(
            call_id=grant.call_id,
            bucket=TokenBucket(config["SOCKET_RATE"], config["SOCKET_BURST"]), grant=grant))
        self.grants[sid] = grant
        return grant

    def _send_plan(self, sid: str, grant: GrantIdentity) -> None:
        try:
            plan = self._read(lambda s: processing.plan(s, grant))
        except DomainError:  # revoked meanwhile: the sweep or the revocation cuts it
            return
        except Exception as err:  # the processor can ask again (`plan`); the next push comes
            logs.failure("plan_send_failed", err, call=grant.call_id)
            return
        self.emit("plan", plan, to=sid)

    @staticmethod
    def _grant(connection: Connection) -> GrantIdentity:
        assert isinstance(connection, GrantConnection) and connection.grant is not None
        return connection.grant

    def _plan(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        grant = self._grant(connection)
        if data.get("purpose") is not None and data["purpose"] != grant.purpose:
            raise WrongPurpose("This grant token reads the plan of its own purpose only.")
        return {"plan": self._read(lambda s: processing.plan(s, grant))}

    def _applied(self, connection: Connection, data: dict[str, Any]) -> dict[str, Any]:
        grant = self._grant(connection)
        seq = data.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < 2**31:
            raise ValidationFailed("seq must be the integer seq of a plan received.",
                                   fields={"seq": ["A non-negative integer."]})
        done = self._write(lambda s: processing.record_applied(s, grant, seq))
        self.plans.tell_hosts(grant.call_id)
        return {"processor": done}

    def _read(self, work: Any) -> Any:
        """A short read, off the event loop on SQLite (its waits block the hub)."""
        def run() -> Any:
            with self.database.read_session() as session:
                return work(session)
        return offload.run(run) if self.database.is_sqlite else run()

    def _write(self, work: Any) -> Any:
        def run() -> Any:
            with self.database.session() as session:
                return work(session)
        return offload.run(run) if self.database.is_sqlite else run()
