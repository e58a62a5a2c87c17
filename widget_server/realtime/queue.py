"""The message queue, watched: hosts learn when their view is stale, and when to resync.

python-socketio's RedisManager delivers to hosts only what comes back through Redis pub/sub:
while Redis is down, hosts on every process get nothing and are not told. After an outage its
listener retries with a doubling backoff capped at 60 s, so hosts on a process could stay deaf
for up to a minute after Redis returned (measured: 11–60 s).

WatchedRedisManager retries every RETRY_SLEEP seconds instead, and reports each change of
liveness: when the listener loses Redis, this process's hosts get `/host` event `feed`
`{"live": false}`; when it has subscribed again, `{"live": true}`, and a host then resyncs from
the database (`resync` with its last seq). Both are emitted to this process's own hosts
directly, since the queue may be exactly what is missing. Nothing is lost meanwhile: decisions
are committed to the database whatever Redis does; only the pushes to hosts are missed.
"""

import time
from collections.abc import Callable, Iterator
from typing import Any

import socketio

from widget_server import logs
from widget_server.realtime.feed import HOST_NAMESPACE

RETRY_SLEEP = 0.25


class WatchedRedisManager(socketio.RedisManager):
    def __init__(self, url: str, channel: str = "flask-socketio", **kwargs: Any) -> None:
        super().__init__(url, channel=channel, **kwargs)
        self.live = True
        self.listeners: list[Callable[[bool], None]] = []

    def _redis_listen_with_retries(self) -> Iterator[Any]:  # pragma: no cover - needs Redis
        while True:
            try:
                self._redis_connect()
                self.pubsub.subscribe(self.channel)
                self._set_live(True)
                yield from self.pubsub.listen()
            except Exception as err:
                self._set_live(False)
                logs.limited("queue_unreachable", error=type(err).__name__)
                time.sleep(RETRY_SLEEP)

    def _set_live(self, live: bool) -> None:
        if live == self.live:
            return
        self.live = live
        logs.warning("queue_live" if live else "queue_down")
        # Manager.emit, not PubSubManager.emit: to this process's hosts, not through Redis.
        socketio.Manager.emit(self, "feed", {"live": live}, namespace=HOST_NAMESPACE)
        for listener in self.listeners:
            listener(live)


def manager_for(url: str | None) -> Any:
    """The client manager to give python-socketio: watched for Redis, the default otherwise."""
    if url and url.startswith(("redis://", "rediss://")):
        return WatchedRedisManager(url)
    return None
