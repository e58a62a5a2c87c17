"""Oversized long-polling POSTs against a server with 1,024 descriptors.

Before the guard, python-engineio answered such a POST by disconnecting its session and
waiting for a poll that never came: each request held a socket for good, and 1,013 of them
killed a server limited to 1,024 descriptors.
"""

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.abuse.conftest import abuse_server, descriptor_limit
from tests.abuse.raw import bounded_gather, exchange, handshake, request, status_of, tally
from tests.conftest import lecture_notice
from tests.e2e.harness import Org, Participant, Server

POSTS = 25_000
SESSIONS = 1_100  # more sessions than the server has descriptors: each one hung a socket before
ANNOUNCED = 40_000  # bytes announced, over SOCKET_MAX_MESSAGE (32 KB); none are sent
DEADLINE = 120.0


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with abuse_server(tmp_path_factory.mktemp("fd"), preexec=descriptor_limit(1024)) as server:
        yield server


def join_seconds(server: Server, token: str) -> float:
    started = time.monotonic()
    person = Participant(server.url, token)
    person.join({"display_name": "Late"})
    elapsed = time.monotonic() - started
    person.close()
    return elapsed


async def flood(port: int) -> tuple[list[int], int]:
    deadline = time.monotonic() + DEADLINE
    sids = [s for s in await bounded_gather(SESSIONS, 100, deadline, lambda _: handshake(port))
            if s]

    async def oversized(i: int) -> int:
        sid = sids[i % len(sids)]
        head = request("POST", f"/socket.io/?EIO=4&transport=polling&sid={sid}",
                       {"Content-Type": "text/plain;charset=UTF-8",
                        "Content-Length": str(ANNOUNCED)})
        # From 8 loopback addresses: 25,000 connections from one would use up its ports.
        return status_of(await exchange(port, head, timeout=5, source=f"127.0.0.{10 + i % 8}"))

    return await bounded_gather(POSTS, 200, deadline, oversized), len(sids)


def test_oversized_polling_posts_leave_the_server_serving(limited: Server) -> None:
    call = Org(limited).open_call(lecture_notice())
    token = call["widget"]["token"]
    started = time.monotonic()
    statuses, sessions = asyncio.run(flood(limited.port))
    flood_seconds = time.monotonic() - started
    after = join_seconds(limited, token)
    counts = tally(statuses)
    print(f"\n{len(statuses)} oversized POSTs over {sessions} sessions in {flood_seconds:.1f} s: "
          f"{counts}; a new participant connected and joined in {after:.3f} s")
    assert sessions == SESSIONS
    assert len(statuses) == POSTS, "the flood did not finish within its deadline"
    assert counts == {413: POSTS}
    assert after < 1.0
    assert limited.process is not None and limited.process.poll() is None


def test_chunked_polling_posts_are_refused(limited: Server) -> None:
    async def chunked() -> tuple[int, bytes]:
        sid = await handshake(limited.port)
        head = request("POST", f"/socket.io/?EIO=4&transport=polling&sid={sid}",
                       {"Transfer-Encoding": "chunked"})
        answer = await exchange(limited.port, head, timeout=5)  # no chunk is ever sent
        return status_of(answer), answer

    status, answer = asyncio.run(chunked())
    assert status == 411
    assert b"Content-Length" in answer.partition(b"\r\n\r\n")[2]


def test_the_server_log_stays_small(limited: Server, tmp_path: Path) -> None:
    # 25,000 refusals are not 25,000 log lines: socket.io traffic is not access-logged.
    assert len(limited.log().encode()) < 50_000
