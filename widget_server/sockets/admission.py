"""Connections per second from one source, counted in memory at the socket edge.

Each connection may join once, so this caps joins per second from one source too: a flood from
one public widget token runs out of budget at once, while other sources (other participants,
other calls) are unaffected. Sources are sources.Sources' HMACs, never addresses. A lecture hall
behind one NAT is one source: SOURCE_CONNECT_BURST lets its first wave in together.
"""

import threading
from typing import Any

from flask import Flask

from widget_server import sources
from widget_server.sockets.connections import TokenBucket

MAX_SOURCES = 100_000


class ConnectBudget:
    def __init__(self, app: Flask) -> None:
        self.rate = float(app.config["SOURCE_CONNECT_RATE"])
        self.burst = float(app.config["SOURCE_CONNECT_BURST"])
        self.enabled = bool(app.config["RATE_LIMITS"])
        self.sources = sources.for_app(app.config)
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def take(self, environ: dict[str, Any] | None) -> bool:
        """Whether this source may open one more connection now."""
        if not self.enabled:
            return True
        key = self.sources.key(environ or {})
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= MAX_SOURCES:
                    self._buckets.clear()  # a forgetful limit beats an unbounded memory
                bucket = self._buckets[key] = TokenBucket(self.rate, self.burst)
            return bucket.take()
