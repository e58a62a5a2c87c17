"""Liveness and readiness, for load balancers and orchestrators."""

from flask import Blueprint, current_app

from widget_server.services.readiness import commit_problem

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    return {"status": "ok"}, 200


@health.get("/readyz")
def readyz() -> tuple[dict[str, str], int]:
    """Ready means a write can commit now (services/readiness.py), not only that the database
    answers."""
    try:
        problem = commit_problem(current_app.extensions["widget_db"].engine,
                                 int(current_app.config["READY_MIN_FREE_BYTES"]))
    except Exception:  # any failure to reach the database means not ready
        problem = "unreachable"
    if problem:
        return {"status": "unavailable", "database": problem}, 503
    return {"status": "ok", "database": "ok"}, 200
