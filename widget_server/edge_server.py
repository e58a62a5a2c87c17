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

# Descriptors kept free for the database, the log, Redis and the listening socket itself.
RESERVED_FILES = 64


class HeaderDeadline(eventlet.wsgi.HttpProtocol):
    header_timeout = 10.0
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
    listener = eventlet.listen((host, port), backlog=int(config["BACKLOG"]))
    eventlet.wsgi.server(listener, app, max_size=connections, protocol=protocol,
                         socket_timeout=float(config["SOCKET_TIMEOUT"]),
                         keepalive=True, log_output=False, debug=False)
