"""A real webhook receiver for the tests: an HTTP server on loopback in a thread of the test
process, verifying every delivery with the `standardwebhooks` package (PyPI).

`behaviour` says how it answers the next request: "ok" (204), "500", "hang" (never answers),
"slow" (2xx after 20 s), "close" (closes the connection unanswered), "redirect" (302 to a
private address), "down" (the server is not listening at all: see stop()/start()).
"""

import json
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook


class Receiver:
    def __init__(self, secret: str | None = None, port: int = 0,
                 tls: ssl.SSLContext | None = None, host: str = "127.0.0.1") -> None:
        self.secret = secret
        self.tls, self.host = tls, host
        self.behaviour = "ok"
        self.received: list[dict[str, Any]] = []  # verified deliveries, in arrival order
        self.attempts: list[dict[str, str]] = []  # every request's webhook headers
        self.bad_signatures = 0
        self.lock = threading.Lock()
        self.port = port
        self.server: ThreadingHTTPServer | None = None
        self.start()

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self.port}/hooks/consent"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # the name http.server calls
                receiver.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        if self.tls is not None:
            self.server.socket = self.tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Not listening any more (connections refused) until start()."""
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()
        self.server = None

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("content-length", 0))
        body = request.rfile.read(length)
        headers = {k: request.headers[k] for k in ("webhook-id", "webhook-timestamp",
                                                    "webhook-signature")}
        with self.lock:
            self.attempts.append(headers)
            behaviour = self.behaviour
        if behaviour == "hang":
            time.sleep(3600)
            return
        if behaviour == "close":
            request.connection.shutdown(socket.SHUT_RDWR)
            request.close_connection = True
            return
        if behaviour == "slow":
            time.sleep(20)
        if behaviour == "500":
            request.send_response(500)
            request.send_header("content-length", "0")
            request.end_headers()
            return
        if behaviour == "redirect":
            request.send_response(302)
            request.send_header("location", "http://10.0.0.1/internal")
            request.send_header("content-length", "0")
            request.end_headers()
            return
        try:
            payload = Webhook(self.secret).verify(body, headers) if self.secret else None
        except Exception:
            with self.lock:
                self.bad_signatures += 1
            request.send_response(400)
            request.send_header("content-length", "0")
            request.end_headers()
            return
        with self.lock:
            self.received.append({"id": headers["webhook-id"], "body": json.loads(body),
                                  "verified": payload is not None, "at": time.time()})
        request.send_response(204)
        request.end_headers()

    def wait_for(self, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"{len(self.received)} of {count} deliveries arrived")
