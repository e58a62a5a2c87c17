"""Every error leaves as application/problem+json (RFC 9457), never as an HTML page."""

from typing import Any

from flask import Flask, Response, json
from werkzeug.exceptions import HTTPException

from widget_server import logs
from widget_server.domain.errors import DomainError
from widget_server.schemas.problems import problem

PROBLEM = "application/problem+json"
_CODES = {400: "malformed_request", 401: "unauthorized", 404: "not_found",
          405: "method_not_allowed", 413: "body_too_large", 422: "validation_failed",
          429: "rate_limited"}


def problem_response(body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status=body["status"], mimetype=PROBLEM)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(err: DomainError) -> Response:
        return problem_response(problem(err))

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> Response:
        status = err.code or 500
        body: dict[str, Any] = {"type": "about:blank", "title": err.name, "status": status,
                                "detail": err.description}
        # flask-smorest/webargs put the field messages of a failed validation here.
        messages = getattr(err, "data", {}).get("messages") if hasattr(err, "data") else None
        body["code"] = _CODES.get(status, "http_error")
        if messages:
            body["errors"] = _flatten(messages)
            body["detail"] = "The request is not valid: " + ", ".join(sorted(body["errors"]))
        response = problem_response(body)
        # A 405 names the methods that would work (RFC 9110 §15.5.6), as werkzeug's own does.
        for name, value in err.get_headers():
            if name.lower() in ("allow", "retry-after"):
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Response:
        logs.warning("unhandled_error", error=type(err).__name__)
        return problem_response({"type": "about:blank", "title": "Internal Server Error",
                                 "status": 500, "detail": "Something went wrong on our side.",
                                 "code": "internal_error"})


def _flatten(messages: Any) -> dict[str, Any]:
    """webargs nests messages by location ({"json": {...}}); the client wants field → messages."""
    if isinstance(messages, dict) and set(messages) <= {"json", "query", "path", "headers",
                                                        "form", "files", "view_args"}:
        merged: dict[str, Any] = {}
        for location, part in messages.items():
            merged.update(part if isinstance(part, dict) else {location: part})
        return merged
    return messages if isinstance(messages, dict) else {"_": messages}
