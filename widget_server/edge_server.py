"""eventlet's WSGI server, configured for the open internet (imported by the entry point only).

eventlet offers `socket_timeout` (a limit on each single read or write of a client socket) and
a numeric `keepalive` (the same, for the wait before a request line), but nothing that bounds
the time a client may take to send its headers: a client sending one byte every few seconds
(slowloris) keeps its socket forever. HeaderDeadline adds that: from the moment the server
starts waiting for a request until its headers are complete, at most HEADER_TIMEOUT seconds,
idle keep-alive time included. The application itself runs without that deadline.
"""

import resource
from typing import Any

import eventlet
import eventlet.wsgi

from widget_server import logs

# Descriptors kept free for the database, the log, Redis and the listening socket itself.
RESERVED_FILES = 64


class HeaderDeadline(eventlet.wsgi.HttpProtocol):
    header_timeout = 10.0
    # Each connection's buffered reader and writer live as long as it does, and a websocket
    # uses neither (it reads and writes the raw socket): eventlet's 8 KB + 16 KB were a third
    # of an idle participant's memory (bench/README.md). Longer requests and answers pass
    # through in several reads, or in one direct write.
    rbufsize = 2048
    wbufsize = 2048
    _deadline: eventlet.Timeout | None = None

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except eventlet.Timeout as expired:
            if expired is not self._deadline:
                raise
            self.close_connection = 1  # too slow to ask: the socket is closed, nothing logged
        finally:
            self._cancel()

    def _read_request_line(self) -> Any:
        self._cancel()
        self._deadline = eventlet.Timeout(self.header_timeout)
        return super()._read_request_line()

    def get_environ(self) -> Any:
        # Called once the headers are in, before the application runs.
        self._cancel()
        return super().get_environ()

    def _cancel(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None


class EventletLog:
    """eventlet.wsgi's `log`: its errors (tracebacks, "I/O error while discarding request body.
    client=<address> request=<request line with its query>") go through the log pipeline as
    templates. Its access line is replaced by a constant and dropped: logs.access_log keeps
    one without the client address or the query string."""

    ACCESS = "wsgi-access"

    def info(self, msg: str, *args: Any, **kwargs: Any) -> None:
        if msg != self.ACCESS:
            logs.third_party("eventlet.wsgi", "info", str(msg))

    def error(self, msg: str, *args: Any, **kwargs: Any) -> None:
        logs.third_party("eventlet.wsgi", "error", str(msg))

    def debug(self, msg: str, *args: Any, **kwargs: Any) -> None:
        pass  # "accepted ('127.0.0.1', port)" and the like: addresses, nothing else

    def write(self, msg: str, *args: Any) -> None:
        self.info(msg)


def run(app: Any, host: str, port: int) -> None:
    """Serve `app` until stopped, within the descriptor limit and with the configured timeouts."""
    config = app.config
    protocol = type("Protocol", (HeaderDeadline,),
                    {"header_timeout": float(config["HEADER_TIMEOUT"])})
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    # More concurrent connections than descriptors makes accept() fail (EMFILE); at the limit
    # the server waits for a free slot instead, and the timeouts above free slots.
    connections = int(config["MAX_CONNECTIONS"])
    if soft != resource.RLIM_INFINITY:
        connections = max(16, min(connections, soft - RESERVED_FILES))
    # Never SO_REUSEPORT (eventlet's default where the system has it): a second server on the
    # same port must fail, not silently take half of the requests.
    listener = eventlet.listen((host, port), backlog=int(config["BACKLOG"]), reuse_port=False)
    eventlet.wsgi.server(listener, app, max_size=connections, protocol=protocol,
                         socket_timeout=float(config["SOCKET_TIMEOUT"]),
                         keepalive=True, log=EventletLog(), log_output=True,
                         log_format=EventletLog.ACCESS, debug=False)
