"""The WSGI guard: refuses what no handler should ever have to read, before anything reads it.

It sits in front of everything, python-engineio included, because engineio answers a polling
POST whose Content-Length is over `max_http_buffer_size` by disconnecting the session, and that
disconnect waits for a poll that an attacker never sends: the request hangs and its socket is
never freed (README, "Notes"). Deciding from the headers alone costs nothing and reads no body.

- A body announced over the limit: 413 at once (SOCKET_MAX_MESSAGE under /socket.io,
  MAX_CONTENT_LENGTH elsewhere), and the connection is closed rather than drained.
- A request on an Engine.IO session engineio has just closed: 400, where engineio raises.
- A chunked body (no Content-Length): 411 everywhere. engineio would read it as empty after
  waiting for it, Flask would silently see an empty body; neither is what the client meant.
"""

import json
from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

SOCKET_PATH = "/socket.io"
_BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def guard(app: WSGIApp, *, socket_limit: int, rest_limit: int) -> WSGIApp:
    """Wrap `app` so that oversized or chunked request bodies are refused from the headers."""

    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        on_socket = path == SOCKET_PATH or path.startswith(SOCKET_PATH + "/")
        limit = socket_limit if on_socket else rest_limit
        refusal = _refusal(environ, limit)
        if refusal is None and not on_socket:
            return app(environ, start_response)
        if refusal is None:
            try:
                return app(environ, start_response)
            except KeyError:
                # python-engineio raises KeyError ("Session is disconnected") for a request on
                # a session it has just closed, e.g. one that sent junk: that is the client's
                # error, not a 500.
                refusal = ("400 Bad Request", "invalid_session", "This session is closed.")
        status, code, detail = refusal
        environ["widget.refused"] = code  # the access log names why, never what was sent
        body = json.dumps({"type": "about:blank", "title": status.split(" ", 1)[1],
                           "status": int(status[:3]), "code": code,
                           "detail": detail}).encode()
        # Connection: close, so the server does not wait to drain a body it will never read.
        start_response(status, [("Content-Type", "application/problem+json"),
                                ("Content-Length", str(len(body))), ("Connection", "close")])
        return [body]

    return guarded


def _refusal(environ: dict[str, Any], limit: int) -> tuple[str, str, str] | None:
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return ("411 Length Required", "length_required",
                "Chunked request bodies are not accepted; send the body with a Content-Length.")
    raw = environ.get("CONTENT_LENGTH") or ""
    if not raw:
        return None
    try:
        length = int(raw)
    except ValueError:
        return ("400 Bad Request", "malformed_request", "Content-Length is not a number.")
    if length > limit:
        return ("413 Content Too Large", "body_too_large",
                f"The request body may be at most {limit} bytes.")
    return None
