"""Structured logs: one JSON object a line, pseudonymous ids only.

Never pass a name, email, phone number, token or IP address here; callers log ids (call,
participant) and codes. The access log (see access_log) omits query strings and client
addresses for the same reason.
"""

import json
import logging
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from typing import Any

_logger = logging.getLogger("widget_server")


def configure(level: int = logging.INFO) -> None:
    if _logger.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    _logger.addHandler(handler)
    _logger.setLevel(level)
    _logger.propagate = False


def event(name: str, **ids: Any) -> None:
    _logger.info(json.dumps({"ts": round(time.time(), 3), "event": name, **ids}, default=str))


def debug(name: str, **ids: Any) -> None:
    if _logger.isEnabledFor(logging.DEBUG):
        _logger.debug(json.dumps({"ts": round(time.time(), 3), "event": name, **ids},
                                 default=str))


def warning(name: str, **ids: Any) -> None:
    _logger.warning(json.dumps({"ts": round(time.time(), 3), "event": name, "level": "warning",
                                **ids}, default=str))


def failure(name: str, err: BaseException, **ids: Any) -> None:
    """An unexpected error, with a traceback a developer can use and nothing personal in it:
    the exception's type and the frames (file, line, function), never its message or any
    local value, which may hold request data."""
    frames = [f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} {frame.name}"
              for frame in traceback.extract_tb(err.__traceback__)]
    warning(name, error=type(err).__name__, frames=frames[-12:], **ids)


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def access_log(app: WSGIApp) -> WSGIApp:
    """WSGI middleware logging method, path (no query), status and time; never the client."""

    def logged(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        status: list[str] = ["-"]

        def recording_start(code: str, headers: list[Any], *rest: Any) -> Any:
            status[0] = code.split(" ", 1)[0]
            return start_response(code, headers, *rest)

        try:
            return app(environ, recording_start)
        finally:
            path = environ.get("PATH_INFO", "")
            # Socket.IO traffic would flood the log; its events are logged by the handlers.
            if not path.startswith("/socket.io"):
                event("http", method=environ.get("REQUEST_METHOD"), path=path[:200],
                      status=status[0], ms=round((time.perf_counter() - started) * 1000, 1))

    return logged
