"""Raw HTTP on loopback for the abuse tests: many bounded requests from one asyncio loop.

Every helper takes a count and a deadline and returns by itself; nothing here retries forever.
"""

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

HOST = "127.0.0.1"


async def exchange(port: int, request: bytes, timeout: float = 10.0,
                   source: str = HOST) -> bytes:
    """Send `request` on a fresh connection and read until the server closes it or the
    response is complete (by Content-Length); '' on a timeout or a reset."""
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(HOST, port, local_addr=(source, 0)), timeout)
    except (OSError, TimeoutError):
        return b""
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(_read_response(reader), timeout)
    except (OSError, TimeoutError, asyncio.IncompleteReadError):
        return b""
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def _read_response(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    return head + (await reader.readexactly(length) if length else b"")


def status_of(response: bytes) -> int:
    try:
        return int(response.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0


def body_of(response: bytes) -> bytes:
    return response.partition(b"\r\n\r\n")[2]


async def bounded_gather(count: int, concurrency: int, deadline: float,
                         make: Callable[[int], Awaitable[Any]]) -> list[Any]:
    """Run make(0..count-1) with at most `concurrency` at once; stop starting new ones at
    `deadline` (time.monotonic()). Returns the results gathered."""
    results: list[Any] = []
    queue = iter(range(count))

    async def worker() -> None:
        for i in queue:
            if time.monotonic() > deadline:
                return
            results.append(await make(i))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return results


def request(method: str, path: str, headers: dict[str, str] | None = None,
            body: bytes = b"") -> bytes:
    headers = {"Host": HOST, **(headers or {})}
    lines = [f"{method} {path} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def handshake(port: int, source: str = HOST) -> str | None:
    """An Engine.IO polling handshake; the session id, or None."""
    answer = await exchange(port, request("GET", "/socket.io/?EIO=4&transport=polling"),
                            source=source)
    body = body_of(answer)
    if status_of(answer) != 200 or not body.startswith(b"0"):
        return None
    sid: str = json.loads(body[1:])["sid"]
    return sid


def tally(statuses: list[int]) -> dict[int, int]:
    return dict(Counter(statuses))


class Polling:
    """A Socket.IO client on Engine.IO long-polling over raw HTTP, from a chosen source address:
    enough for abuse tests (connect a namespace, emit with an ack), bounded by timeouts."""

    def __init__(self, port: int, source: str) -> None:
        self.port, self.source, self.sid = port, source, ""

    async def open(self) -> bool:
        self.sid = await handshake(self.port, self.source) or ""
        return bool(self.sid)

    async def send(self, packet: str) -> int:
        body = packet.encode()
        return status_of(await exchange(self.port, request(
            "POST", f"/socket.io/?EIO=4&transport=polling&sid={self.sid}",
            {"Content-Type": "text/plain", "Content-Length": str(len(body))}, body),
            source=self.source))

    async def poll(self, timeout: float = 10.0) -> list[str]:
        answer = await exchange(self.port, request(
            "GET", f"/socket.io/?EIO=4&transport=polling&sid={self.sid}"), timeout=timeout,
            source=self.source)
        return body_of(answer).decode(errors="replace").split("\x1e") if answer else []

    async def answer_to(self, packet: str, prefix: str, timeout: float = 10.0) -> str | None:
        """Send `packet`, then poll until a packet starting with `prefix` arrives."""
        if await self.send(packet) != 200:
            return None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for got in await self.poll(timeout):
                if got.startswith(prefix):
                    return got
        return None
