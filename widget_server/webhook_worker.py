"""Delivering webhooks in the serve process: a background task of its own reads the outbox
(services/webhooks/delivery.py), so the live write path only ever writes rows.

Each claimed row is sent in a task of its own (at most MAX_IN_FLIGHT at once), so a receiver
that hangs until the timeout holds up only its own call's stream. The HTTP attempt runs on the
event loop (sockets are green under eventlet); the short database work of claiming and
settling runs off it on SQLite (widget_server/offload.py), on an unpooled engine, as the
loop's pool locks must not be waited on from an OS thread.
"""

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from flask import Flask
from sqlalchemy.orm import sessionmaker

from widget_server import logs, offload
from widget_server.domain.ids import utcnow
from widget_server.realtime import socketio
from widget_server.services import metrics
from widget_server.services.webhooks import Settings, delivery, sending

T = TypeVar("T")
MAX_IN_FLIGHT = 20
PRUNE_EVERY = 3600.0  # seconds between cleanings of the delivery log
KEEP_LOG_DAYS = 30  # the delivery log of settled deliveries is kept this long


class WebhookWorker:
    def __init__(self, app: Flask) -> None:
        database = app.extensions["widget_db"]
        self.settings: Settings = app.config["WEBHOOKS"]
        self.poll = float(app.config["WEBHOOK_POLL"])
        self.off_loop = database.is_sqlite and offload.installed()
        engine = database.off_loop_engine() if self.off_loop else database.engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.in_flight = 0
        self.lock = threading.Lock()
        # Set after a commit that wrote deliveries (realtime/feed.py): look at the outbox now.
        self.woken = threading.Event()

    def wake(self) -> None:
        self.woken.set()

    def run(self) -> None:
        """Forever: claim what is due (as many as may be in flight), send each in a task."""
        since_prune = PRUNE_EVERY
        while True:
            try:
                with self.lock:
                    free = MAX_IN_FLIGHT - self.in_flight
                claimed = self._db(delivery.claim, self.settings, free) if free > 0 else []
                for row in claimed:
                    with self.lock:
                        self.in_flight += 1
                    socketio.start_background_task(self._deliver, row)
                if since_prune >= PRUNE_EVERY:
                    since_prune = 0.0
                    pruned = self._db(delivery.prune, utcnow() - timedelta(days=KEEP_LOG_DAYS))
                    if pruned:
                        logs.event("webhook_log_pruned", deliveries=pruned)
            except Exception as err:  # keep delivering; the next tick tries again
                logs.failure("webhook_claim_failed", err)
            started = time.monotonic()
            self.woken.wait(self.poll)
            self.woken.clear()
            since_prune += time.monotonic() - started

    def _deliver(self, first: delivery.Claimed) -> None:
        """Attempt a row; once delivered, the next of its stream at once (a call's events
        follow each other without waiting for the next look at the outbox)."""
        row: delivery.Claimed | None = first
        try:
            while row is not None:
                outcome = sending.attempt(row, self.settings)
                status = self._db(delivery.settle, self.settings, row, outcome)
                # delivered, pending (to be retried) or failed (given up): no URL, no id.
                metrics.WEBHOOK_DELIVERIES.labels(status).inc()
                # Ids and codes only: never the URL (it may carry a token of the receiver's).
                logs.debug("webhook_attempt", delivery=row.message_id, status=status,
                           answer=outcome.status, error=outcome.error)
                if status == "failed":
                    logs.event("webhook_failed", delivery=row.message_id,
                               answer=outcome.status)
                if status != "delivered":
                    break
                following = self._db(delivery.claim, self.settings, 1, None, row)
                row = following[0] if following else None
        except Exception as err:
            logs.failure("webhook_delivery_failed", err,
                         delivery=row.message_id if row else first.message_id)
        finally:
            with self.lock:
                self.in_flight -= 1

    def _db(self, work: Callable[..., T], *args: Any) -> T:
        def in_a_session() -> T:
            with self.sessions() as session:
                return work(session, *args)

        return offload.run(in_a_session) if self.off_loop else in_a_session()


def start(app: Flask) -> WebhookWorker:
    worker = WebhookWorker(app)
    app.extensions["widget_webhooks"] = worker
    app.extensions["widget_feed"].on_change = worker.wake
    socketio.start_background_task(worker.run)
    return worker
