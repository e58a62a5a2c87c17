"""The live committer: the one queue between live clients and the live write path (DESIGN §3).

A handler hands its command to the committer and waits. The committer takes everything that
has queued meanwhile, has services.live apply it in one transaction (group commit: one fsync
for the lot, DESIGN §5), tells the hosts, and only then wakes the handlers to acknowledge.

It is built not to share fate:
- a batch whose commit fails is split in halves until the command that cannot be stored is
  found; only that one is refused (commit_failed), everyone else is recorded;
- any exception still wakes every waiting handler (commit_failed), and the loop goes on;
- a handler waits at most COMMIT_TIMEOUT seconds (a retry of the same event_id then returns
  the original result if it was committed after all);
- a leave that could not be stored is retried until it is, so nobody stays "present";
- on SQLite the database work runs off the event loop (widget_server.offload), so /healthz,
  connects and host fan-out go on while a write waits for the lock or the disk.
"""

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import OperationalError

from widget_server import logs, offload
from widget_server.domain.errors import CommitFailed, DomainError
from widget_server.realtime.feed import HostFeed
from widget_server.services import live, metrics
from widget_server.services.database import Database

MAX_BATCH = 512
BUSY = 8  # a batch at least this big after one yield means commands are queueing up
BUSY_WAIT = 0.001
LEAVE_RETRY = 1.0  # seconds before a leave that failed to commit is tried again
LEAVE_RETRY_MAX = 10.0


@dataclass
class _Pending:
    command: live.Command
    done: threading.Event = field(default_factory=threading.Event)
    result: live.Outcome | None = None
    retrying: bool = False  # handed in again by _retry_leave, which keeps trying itself


def _failed(message: str = "This could not be recorded; please retry.") -> CommitFailed:
    return CommitFailed(message)


class Committer:
    def __init__(self, database: Database, feed: HostFeed, start_task: Callable[..., Any],
                 sleep: Callable[[float], Any], *, timeout: float = 10.0,
                 policy: live.Policy | None = None) -> None:
        self.database = database
        self.feed = feed
        self.timeout = timeout
        self.policy = policy or live.Policy()
        # queue.Queue, not SimpleQueue: its locks are pure Python, so eventlet makes them green.
        self._queue: queue.Queue[_Pending] = queue.Queue()
        self._start_task = start_task
        self._sleep = sleep
        self._started = False
        self._stopped = False
        self._lock = threading.Lock()
        self.batches = 0  # committed or refused, for tests and metrics
        self._in_flight = 0

    # for handlers ---------------------------------------------------------------------
    def submit(self, command: live.Command) -> dict[str, Any]:
        """Blocks until the command is committed or refused, at most `timeout` seconds;
        returns its outcome or raises its DomainError (CommitFailed on a timeout)."""
        pending = self._enqueue(command)
        if not pending.done.wait(self.timeout):
            logs.warning("commit_timeout", call=command.call_id, seconds=self.timeout)
            raise _failed("Not recorded in time; please retry (a retry is safe).")
        if isinstance(pending.result, DomainError):
            raise pending.result
        assert pending.result is not None
        return pending.result

    def waiting(self) -> int:
        """Commands queued or being committed now."""
        return self._queue.qsize() + self._in_flight

    def submit_nowait(self, command: live.Command) -> None:
        """Hand a command in without waiting (leaves, presence repairs)."""
        self._enqueue(command)

    def _enqueue(self, command: live.Command, retrying: bool = False) -> _Pending:
        self._ensure_running()
        pending = _Pending(command, retrying=retrying)
        self._queue.put(pending)
        return pending

    def stop(self) -> None:
        """End the loop and any retries (an app torn down before its process ends)."""
        self._stopped = True
        if self._started:
            self._queue.put(_Pending(live.EndCall("")))  # wakes the loop to see the flag

    @property
    def stopped(self) -> bool:
        """The app was torn down: background loops of the edges end too."""
        return self._stopped

    def _ensure_running(self) -> None:
        with self._lock:
            if not self._started:
                self._started = True
                self.database.warm_live()
                self._start_task(self._run)

    # the loop -------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stopped:
            batch = [self._queue.get()]
            if self._stopped:
                break
            try:
                # Let every connection that has a message waiting hand it in first: one yield
                # costs microseconds and can turn a batch of one into hundreds.
                self._sleep(0)
                self._drain(batch)
                if len(batch) >= BUSY:
                    # Busy: a millisecond more gathers more per fsync; when quiet, nothing waits.
                    self._sleep(BUSY_WAIT)
                    self._drain(batch)
                self._in_flight = len(batch)
                self._commit(batch)
            except Exception as err:  # a bug must not end the loop and hang every client
                logs.failure("committer_failed", err, size=len(batch))
            finally:
                self._in_flight = 0
                for pending in batch:
                    if pending.result is None:
                        pending.result = _failed()
                    pending.done.set()

    def _drain(self, batch: list[_Pending]) -> None:
        while len(batch) < MAX_BATCH:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                return

    def _commit(self, batch: list[_Pending]) -> None:
        commands = [p.command for p in batch]
        started = time.perf_counter()
        # SQLite's waits block the hub, so its work runs in an OS thread; psycopg2's waits
        # already yield to other green threads (psycogreen), so PostgreSQL's runs here.
        if self.database.is_sqlite:
            applied, errors = offload.run(self._store, commands)
        else:
            applied, errors = self._store(commands)
        committed = time.perf_counter()
        metrics.COMMIT_SECONDS.observe(committed - started)
        metrics.BATCH_SIZE.observe(len(commands))
        count_outcomes(commands, applied.outcomes)
        for error in errors:  # logged here, on the event loop: never from the worker thread
            logs.warning("commit_failed", error=error)
        for pending, outcome in zip(batch, applied.outcomes, strict=True):
            pending.result = outcome
            if isinstance(outcome, CommitFailed) and not pending.retrying and isinstance(
                    pending.command, live.Leave | live.MarkAway):
                self._start_task(self._retry_leave, pending.command)
        self.batches += 1
        # Hosts hear of a commit before anyone is acknowledged; each call's updates of one
        # commit go out as one message.
        for call_id, updates in applied.updates.items():
            self._publish(call_id, updates)
        for call_id in applied.ended:
            self.feed.announce_call_ended(call_id)
        for change in applied.notice_changes:
            self.feed.announce_notice_changed(change)
        if applied.webhooks:
            self.feed.outbox_written()
        metrics.FANOUT_SECONDS.observe(time.perf_counter() - committed)

    def _publish(self, call_id: str, updates: list[dict[str, Any]]) -> None:
        try:
            self.feed.publish_many(call_id, updates)
        except Exception as err:  # hosts resync from the database; the acks must still go
            logs.failure("publish_failed", err, call=call_id)

    def _store(self, commands: list[live.Command]) -> tuple[live.Applied, list[str]]:
        """Apply and commit; on failure, find what cannot be stored by halves. Runs off the
        event loop on SQLite: no logging or green locks in here."""
        errors: list[str] = []
        try:
            with self.database.live_session() as session:
                return live.apply(session, commands, self.policy), errors
        except Exception as err:
            errors.append(type(err).__name__)
            # A database that cannot write at all (locked past the busy timeout, disk, gone)
            # fails everyone alike: splitting would only repeat the wait.
            if len(commands) == 1 or isinstance(err, OperationalError):
                return live.Applied([_failed()] * len(commands)), errors
        middle = len(commands) // 2
        first, first_errors = self._store(commands[:middle])
        second, second_errors = self._store(commands[middle:])
        first.extend(second)
        return first, errors + first_errors + second_errors

    def _retry_leave(self, command: live.Command) -> None:
        """A leave is never lost: try again, with growing pauses, until it is stored."""
        delay = LEAVE_RETRY
        while not self._stopped:
            self._sleep(delay)
            pending = self._enqueue(command, retrying=True)
            if not pending.done.wait(self.timeout) or isinstance(pending.result, CommitFailed):
                delay = min(delay * 2, LEAVE_RETRY_MAX)
                continue
            return  # stored, or refused on its merits (the call is gone): nothing to repair


def count_outcomes(commands: list[live.Command], outcomes: list[Any]) -> None:
    """Per kind of command, how many were applied and how many refused (by their kind only)."""
    for command, outcome in zip(commands, outcomes, strict=True):
        refused = isinstance(outcome, Exception)
        metrics.COMMANDS.labels(type(command).__name__, "refused" if refused else "applied").inc()
        if not refused and isinstance(command, live.Decide):
            metrics.DECISIONS.inc()
