"""Liveness and readiness, for load balancers and orchestrators."""

from flask import Blueprint, current_app
from sqlalchemy import text

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    return {"status": "ok"}, 200


@health.get("/readyz")
def readyz() -> tuple[dict[str, str], int]:
    try:
        with current_app.extensions["widget_db"].read_session() as session:
            session.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database means not ready
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}, 200
