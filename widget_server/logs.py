"""Structured logs: one JSON object a line, pseudonymous ids only. One pipeline for everything.

Never pass a name, email, phone number, token or IP address here; callers log ids (call,
participant) and codes. Everything else that logs goes through the same sink after
log_safety reduced it to a template (see `configure`): Python loggers of libraries, eventlet's
messages (edge_server), and raw writes to stderr. The access log (see access_log) omits query
strings, client addresses and any path segment that is not an id.
"""

import io
import json
import logging
import re
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from widget_server.log_safety import Budget, exception_type, template

_logger = logging.getLogger("widget_server")
_budget = Budget()
# The sink: the process's real stderr, written to by our handlers only.
_sink: TextIO = sys.__stderr__ or sys.stderr


def configure(level: int = logging.INFO) -> None:
    if _logger.handlers:
        return
    handler = logging.StreamHandler(_sink)
    handler.setFormatter(logging.Formatter("%(message)s"))
    _logger.addHandler(handler)
    _logger.setLevel(level)
    _logger.propagate = False
    # Every other logger ends at the root: reduced to templates, with a budget per logger.
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(LibraryHandler())
    root.setLevel(logging.WARNING)


def protect_stderr() -> None:
    """Anything printed to stderr (eventlet's hub prints tracebacks there) goes through the
    pipeline as a template line. For serving processes; one-off commands keep a plain stderr."""
    if not isinstance(sys.stderr, SafeStream):
        sys.stderr = SafeStream()


def library_logger(name: str) -> logging.Logger:
    """A logger for a library that takes one (python-socketio, python-engineio): warnings and
    errors only, through the pipeline."""
    logger = logging.getLogger(f"lib.{name}")
    logger.setLevel(logging.WARNING)
    return logger


def event(name: str, **ids: Any) -> None:
    _logger.info(json.dumps({"ts": round(time.time(), 3), "event": name, **ids}, default=str))


def limited(name: str, **ids: Any) -> None:
    """An event any anonymous client can cause (a refusal, junk): within a budget per name."""
    allowed, dropped = _budget.allow(name)
    if allowed:
        event(name, **ids, **({"suppressed": dropped} if dropped else {}))


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


def third_party(source: str, level: str, text: str, error: str | None = None) -> None:
    """A message written by other code: its template only, within a budget per source."""
    error = error or exception_type(text)
    if error is not None:  # a traceback: only its last line can say anything
        text = text.strip().splitlines()[-1].split(":", 1)[-1] if text.strip() else ""
    allowed, dropped = _budget.allow(f"{source}:{level}")
    if not allowed:
        return
    line: dict[str, Any] = {"ts": round(time.time(), 3), "event": "library",
                            "source": source[:40], "level": level, "message": template(text)}
    if error:
        line["error"] = error
    if dropped:
        line["suppressed"] = dropped
    _logger.warning(json.dumps(line))


class LibraryHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a bad format string must not lose the line's existence
            text = str(record.msg)
        error = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else None
        third_party(record.name, record.levelname.lower(), text, error)


class SafeStream(io.TextIOBase):
    """A stderr replacement: whole lines of text become template lines; a traceback's frames
    are dropped and its last line kept as the error's type."""

    def __init__(self) -> None:
        self._pending = ""
        self._in_traceback = False

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._pending += text
        if len(self._pending) > 64 * 1024:  # no line is that long; drop rather than grow
            self._pending = self._pending[-1024:]
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            self._line(line)
        return len(text)

    def _line(self, line: str) -> None:
        if line.startswith("Traceback (most recent call last)"):
            self._in_traceback = True
            return
        if self._in_traceback and (line.startswith(" ") or not line.strip()):
            return
        if self._in_traceback:
            self._in_traceback = False
            name = line.split(":", 1)[0].strip()
            error = name.rsplit(".", 1)[-1][:60] if re.match(r"^[\w.]+$", name) else "Exception"
            third_party("stderr", "error", line.split(":", 1)[-1], error)
        elif line.strip():
            third_party("stderr", "warning", line)

    def flush(self) -> None:
        pass


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# A path segment is logged only if it looks like one of ours (a word, an id), never a value.
_SEGMENT = re.compile(r"^[a-z0-9_.-]{1,48}$")


def loggable_path(path: str) -> str:
    return "/".join(s if not s or _SEGMENT.match(s) else "…" for s in path[:400].split("/"))


def access_log(app: WSGIApp) -> WSGIApp:
    """WSGI middleware logging method, path (no query, no values), status and time; never the
    client. Refusals (4xx) are logged within a budget, since anyone can cause them."""

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
                method = str(environ.get("REQUEST_METHOD", ""))
                line = {"method": method if method.isalpha() else "…",
                        "path": loggable_path(path), "status": status[0],
                        "ms": round((time.perf_counter() - started) * 1000, 1)}
                if status[0].startswith("4"):
                    limited("http", **line)
                else:
                    event("http", **line)

    return logged
