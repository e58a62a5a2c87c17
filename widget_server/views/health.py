"""Liveness and readiness, for load balancers and orchestrators."""

from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app

from widget_server import offload
from widget_server.services.readiness import commit_problem

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    return {"status": "ok"}, 200


@health.get("/readyz")
def readyz() -> tuple[dict[str, str], int]:
    """Ready means a write can commit now (services/readiness.py), not only that the database
    answers."""
    database = current_app.extensions["widget_db"]
    try:
        # On SQLite the probe's commit (an fsync, or a wait for the lock) runs off the event
        # loop, as the live committer's does: a probe must not stall what it probes.
        run = offload.run if database.is_sqlite else _inline
        problem = run(commit_problem, database.off_loop_engine(),
                      int(current_app.config["READY_MIN_FREE_BYTES"]))
    except Exception:  # any failure to reach the database means not ready
        problem = "unreachable"
    if problem:
        return {"status": "unavailable", "database": problem}, 503
    return {"status": "ok", "database": "ok"}, 200


def _inline(work: Callable[..., str | None], *args: Any) -> str | None:
    return work(*args)
