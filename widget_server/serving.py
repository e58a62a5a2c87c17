"""Running the app for real: the maintenance loop and the WSGI server of the chosen mode."""

import os
import signal
import sqlite3
import sys
import time
from collections.abc import Callable
from typing import Any

from flask import Flask

from widget_server import config, logs, offload, webhook_worker
from widget_server.domain.errors import DomainError
from widget_server.gc_policy import FREEZE_EVERY, CollectorPolicy
from widget_server.guard import guard
from widget_server.realtime import socketio
from widget_server.realtime.committer import Committer
from widget_server.services import checkpoints, live, overdue, retention, sealing
from widget_server.services.database import Database
from widget_server.services.scrub import scrub_for_exit
from widget_server.sockets.admission import ConnectBudget

MAINTENANCE_TICK = 2.5  # a new organisation may embed within this many seconds
SCRUB_POLL = 0.1  # how often the scrub task looks for erased values waiting to leave the disk


def prepare(app: Flask) -> None:
    """Before accepting connections: SQLite's -wal is empty, nobody is present, and the CORS
    list is loaded.

    A lone process knows nobody is connected to it after a restart. Processes sharing a
    message queue do not know who is connected to the others, so they leave presence alone:
    the participants of one that died are sent away once its lease expires (sockets/lease.py).
    """
    warning = config.serving_warning(app)
    if warning:  # README, Configuration: WIDGET_SERVER_SIGNING_KEY_FILE
        logs.warning(warning, setting="WIDGET_SERVER_SIGNING_KEY_FILE")
    scrubber = app.extensions["widget_db"].scrubber
    if scrubber is not None and not scrubber.scrub_until_done():
        # A server killed (kill -9, power) left its -wal as it was: empty it before serving.
        logs.warning("wal_not_emptied_at_start")
    if not app.config["MESSAGE_QUEUE"]:
        away = app.extensions["widget_presence"].reset()
        if away:
            logs.event("presence_reset", participants=away)
    # Before the first join: every join names this process's lease (sockets/lease.py).
    app.extensions["widget_lease"].take()
    app.extensions["widget_origins"].refresh()


def maintenance(app: Flask) -> None:
    """Refreshes the embed origins often; every CHECKPOINT_INTERVAL seconds ends the calls
    open longer than MAX_CALL_HOURS and signs the ledger heads that changed (the final ones of
    those calls among them); every PURGE_INTERVAL seconds applies retention, seals the calls
    whose retention has all passed and deletes the proof kept past proof_retention_days."""
    since_purge = float(app.config["PURGE_INTERVAL"])
    since_check = 0.0
    since_checkpoint = float(app.config["CHECKPOINT_INTERVAL"])  # at once: ends a crash lost
    while True:
        try:
            app.extensions["widget_origins"].refresh()
            if not app.config["MESSAGE_QUEUE"] and since_check >= app.config["PRESENCE_CHECK"]:
                since_check = 0.0
                app.extensions["widget_presence"].check()
            if since_checkpoint >= app.config["CHECKPOINT_INTERVAL"]:
                since_checkpoint = 0.0
                end_overdue(app)
                database = app.extensions["widget_db"]
                with database.read_session() as session:
                    heads = checkpoints.pending_heads(session)
                if heads:
                    with database.session() as session:
                        checkpoints.sign_heads(session, app.extensions["widget_keys"].ring(),
                                               heads)
                    logs.debug("checkpoints_signed", calls=len(heads))
            if since_purge >= app.config["PURGE_INTERVAL"]:
                since_purge = 0.0
                with app.extensions["widget_db"].session() as session:
                    report = retention.purge(session)
                if report.total:
                    logs.event("purged", calls=report.calls, **report.values)
                seal_and_close(app)
        except Exception as err:  # keep the loop alive; the next tick tries again
            logs.failure("maintenance_failed", err)
        socketio.sleep(MAINTENANCE_TICK)
        since_purge += MAINTENANCE_TICK
        since_check += MAINTENANCE_TICK
        since_checkpoint += MAINTENANCE_TICK


def end_overdue(app: Flask) -> None:
    """End the calls nobody ended, through the committer: the one live write path, which also
    tells their hosts (the call_ended update) and participants (call_ended) after the commit,
    exactly as when a host ends a call."""
    with app.extensions["widget_db"].read_session() as session:
        due = overdue.overdue_calls(session, float(app.config["MAX_CALL_HOURS"]))
    ended = 0
    for call_id in due:
        try:
            ended += bool(app.extensions["widget_committer"].submit(
                live.EndCall(call_id))["ended"])
        except DomainError as err:  # the next pass tries again
            logs.warning("overdue_end_failed", call=call_id, error=err.code)
    if ended:
        logs.event("overdue_calls_ended", calls=ended,
                   max_hours=app.config["MAX_CALL_HOURS"])


def seal_and_close(app: Flask) -> None:
    """Seal the calls whose retention has all passed; delete the proof kept past each
    organisation's proof_retention_days (services/sealing.py). Counts only in the log."""
    database = app.extensions["widget_db"]
    with database.session() as session:
        sealed = sealing.seal(session)
    with database.session() as session:
        report = sealing.delete_proofs(session, app.extensions["widget_keys"].ring())
    if sealed or report.proofs_deleted:
        logs.event("sealed", calls=sealed, proofs_deleted=report.proofs_deleted)
    if report.refused:  # kept as evidence: verify-ledger names what was altered
        logs.warning("proof_kept_ledger_altered", calls=len(report.refused),
                     call=report.refused[0])


def scrubbing(database: Database) -> None:
    """Takes erased values off the disk soon after the commit that erased them: a checkpoint
    that truncates SQLite's -wal (services/scrub.py), run where the live committer runs its
    SQLite work (an OS thread under eventlet: widget_server.offload); one that readers kept
    from completing is tried again at the next poll."""
    scrubber = database.scrubber
    assert scrubber is not None
    while True:
        socketio.sleep(SCRUB_POLL)
        if scrubber.due(time.monotonic()):
            try:
                offload.run(scrubber.scrub)
            except Exception as err:  # keep the task alive; the next poll tries again
                logs.failure("scrub_failed", err)


def stop_on_signals(app: Flask) -> None:
    """SIGTERM and SIGINT stop the server cleanly: this process's participants leave (hosts
    are told) and its lease is given up (sockets/lease.py); then, on SQLite, the -wal is
    emptied, so no page image of a value erased earlier (or of any value) stays behind in it
    (CONTRACT §C), and the process exits with status 0. A second signal, or STOP_LIMIT
    seconds, goes straight to the last step. The work runs in tasks of their own: a signal
    handler may run inside the event loop."""

    def handler(signum: int, _frame: Any) -> None:
        if app.extensions.get("widget_stopping"):
            _exit(app, signum)
        app.extensions["widget_stopping"] = True
        socketio.start_background_task(_stop, app, signum)
        socketio.start_background_task(_stop_anyway, app, signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, handler)


Runner = Callable[[Flask, str, int], None]
STOP_LIMIT = 5.0  # seconds a clean stop may take before the process exits anyway


def _stop(app: Flask, signum: int) -> None:
    try:
        app.extensions["widget_lease"].release()
    except Exception as err:  # dead in any case: the others' sweep sends them away
        logs.failure("lease_release_failed", err)
    socketio.sleep(0.2)  # the `left` updates on their way to the hosts
    _exit(app, signum)


def _stop_anyway(app: Flask, signum: int) -> None:
    socketio.sleep(STOP_LIMIT)
    _exit(app, signum)


def _exit(app: Flask, signum: int) -> None:
    """The last step: must not yield, so it blocks in SQLite (which sleeps in C) and ends with
    os._exit; the write lock it holds dies with the process, so nothing of it writes after."""
    database: Database = app.extensions["widget_db"]
    held: sqlite3.Connection | None = None
    facts: dict[str, Any] = {}
    if database.scrubber is not None:
        held = scrub_for_exit(database.scrubber.path)
        stats = database.scrubber.stats
        facts = {"wal_empty": held is not None, "scrubs": stats.scrubs,
                 "scrubs_busy": stats.busy, "slowest_scrub_ms": round(stats.slowest_ms, 1)}
    logs.event("stopped", signal=signal.Signals(signum).name, **facts)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def collector(policy: CollectorPolicy, committer: Committer) -> None:
    while True:
        socketio.sleep(FREEZE_EVERY)
        policy.tick(busy=committer.waiting() > 0)


def serve(app: Flask, host: str, port: int, runner: Runner | None, open_files: int) -> None:
    """Run until stopped. `runner` serves with eventlet when the entry point chose it;
    otherwise Flask-SocketIO's own runner serves gevent or threading."""
    logs.protect_stderr()
    prepare(app)
    stop_on_signals(app)
    socketio.start_background_task(maintenance, app)
    if app.extensions["widget_db"].scrubber is not None:
        socketio.start_background_task(scrubbing, app.extensions["widget_db"])
    socketio.start_background_task(app.extensions["widget_lease"].run)
    webhook_worker.start(app)
    if app.config["GC_POLICY"]:
        policy = CollectorPolicy()
        app.extensions["widget_gc"] = policy
        socketio.start_background_task(collector, policy, app.extensions["widget_committer"])
    if app.config["METRICS_PORT"]:
        serve_metrics(str(app.config["METRICS_HOST"]), int(app.config["METRICS_PORT"]))
    logs.event("serving", port=port, mode=app.config["ASYNC_MODE"],
               open_files=open_files, max_connections=app.config["MAX_CONNECTIONS"],
               backlog=app.config["BACKLOG"])
    app.wsgi_app = logs.access_log(guard(  # type: ignore[method-assign,assignment]
        app.wsgi_app, socket_limit=int(app.config["SOCKET_MAX_MESSAGE"]),
        rest_limit=int(app.config["MAX_CONTENT_LENGTH"]),
        handshake_allowed=ConnectBudget(app).take))
    if runner is not None:
        runner(app, host, port)
    elif app.config["ASYNC_MODE"] == "threading":
        socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, log_output=False)
    else:
        socketio.run(app, host=host, port=port, log_output=False)


def serve_metrics(host: str, port: int) -> None:
    """/metrics on a port of its own (for a scraper inside the network; loopback by default)."""
    from prometheus_client import start_http_server

    from widget_server.services.metrics import REGISTRY

    start_http_server(port, addr=host, registry=REGISTRY)
