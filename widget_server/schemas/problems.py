"""One translation of domain errors, for two transports: problem+json and Socket.IO acks."""

from typing import Any

from widget_server.domain.errors import DomainError


def problem(err: DomainError) -> dict[str, Any]:
    body: dict[str, Any] = {"type": f"about:blank#{err.code}", "title": err.title,
                            "status": err.status, "detail": err.message, "code": err.code}
    if err.fields:
        body["errors"] = err.fields
    return body


def ack_error(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"ok": False, "error": error}


def ack_for(err: DomainError) -> dict[str, Any]:
    return ack_error(err.code, err.message, err.fields or None)
