"""Slowloris and silent connections are closed within HEADER_TIMEOUT; participants still join.

Before: 1,200 such connections were all still held after 150 s (no header or idle timeout).
"""

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest

from tests.abuse.conftest import abuse_server
from tests.abuse.raw import HOST
from tests.conftest import lecture_notice
from tests.e2e.harness import Org, Participant, Server

HEADER_TIMEOUT = 3.0
CONNECTIONS = 2_000  # half trickle a header byte every second, half send nothing at all
DEADLINE = 40.0


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with abuse_server(tmp_path_factory.mktemp("slow"),
                      env={"WIDGET_SERVER_HEADER_TIMEOUT": str(HEADER_TIMEOUT)}) as server:
        yield server


async def slow_client(port: int, i: int, stop: float) -> float | None:
    """Seconds until the server closed the connection; None if it was still open at `stop`."""
    try:
        reader, writer = await asyncio.open_connection(HOST, port, local_addr=(HOST, 0))
    except OSError:
        return None
    opened = time.monotonic()
    try:
        if i % 2 == 0:
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        while time.monotonic() < stop:
            if i % 2 == 0:
                writer.write(b"X")  # one more byte of a header that never ends
            try:
                if await asyncio.wait_for(reader.read(1024), 1.0) == b"":
                    return time.monotonic() - opened
            except TimeoutError:
                continue
        return None
    except OSError:  # reset by the server: closed too
        return time.monotonic() - opened
    finally:
        writer.close()


def test_slow_and_silent_connections_are_closed_in_time(strict: Server) -> None:
    call = Org(strict).open_call(lecture_notice())
    joined: list[float] = []

    def participant_meanwhile() -> None:
        time.sleep(1.5)  # every slow connection is open by now
        started = time.monotonic()
        person = Participant(strict.url, call["widget"]["token"])
        person.join({"display_name": "Meanwhile"})
        joined.append(time.monotonic() - started)
        person.close()

    async def attack() -> list[float | None]:
        stop = time.monotonic() + DEADLINE
        return await asyncio.gather(*(slow_client(strict.port, i, stop)
                                      for i in range(CONNECTIONS)))

    helper = threading.Thread(target=participant_meanwhile)
    helper.start()
    closed_after = asyncio.run(attack())
    helper.join(30)
    held = [c for c in closed_after if c is None]
    worst = max(c for c in closed_after if c is not None)
    print(f"\n{CONNECTIONS} slow connections: {len(held)} still open at the deadline, the last "
          f"closed after {worst:.1f} s (HEADER_TIMEOUT {HEADER_TIMEOUT} s); a participant joined "
          f"meanwhile in {joined[0] if joined else float('nan'):.3f} s")
    assert not held
    assert worst < HEADER_TIMEOUT + 2.0
    assert joined and joined[0] < 1.0
