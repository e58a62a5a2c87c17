"""kill -9 at a random moment loses no acknowledged decision and leaves a verifiable ledger."""

import contextlib
import random
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import socketio

from tests.conftest import lecture_notice
from tests.e2e.harness import Org, Server, running_server

PARTICIPANTS = 50
ROUNDS = 3


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[Server]:
    with running_server(tmp_path) as server:
        yield server


def hammer(url: str, token: str, seen: dict[str, str], acked: list[str],
           stop: threading.Event) -> None:
    """One participant deciding continuously; records the event_ids acknowledged ok."""
    client = socketio.SimpleClient()
    try:
        client.connect(url, namespace="/participant", auth={"token": token},
                       transports=["websocket"], wait_timeout=5)
        if not client.call("join", {"fields": {"display_name": "K"}, "seen": seen},
                           timeout=5)["ok"]:
            return
        state = "granted"
        while not stop.is_set():
            event_id = str(uuid.uuid4())
            answer = client.call("decide", {"event_id": event_id,
                                            "choices": {"recording": state}}, timeout=5)
            if answer.get("ok"):
                acked.append(event_id)
                state = "withdrawn" if state == "granted" else "granted"
            else:
                time.sleep(0.05)  # rate-limited: back off a little
    except Exception:  # the server was killed under us; that is the test
        pass
    finally:
        with contextlib.suppress(Exception):
            client.disconnect()


def test_acknowledged_decisions_survive_sigkill(own_server: Server) -> None:
    org = Org(own_server)
    call = org.open_call(lecture_notice())
    rng = random.Random()
    acked: list[str] = []
    for _ in range(ROUNDS):
        stop = threading.Event()
        threads = [threading.Thread(target=hammer, daemon=True,
                                    args=(own_server.url, call["widget"]["token"],
                                          {"notice_hash": call["notice"]["content_hash"]},
                                          acked, stop))
                   for _ in range(PARTICIPANTS)]
        for thread in threads:
            thread.start()
        time.sleep(rng.uniform(1.0, 3.0))
        own_server.kill9()
        stop.set()
        for thread in threads:
            thread.join(10)
        own_server.start()
    assert len(acked) > 200, "the load was too light to prove anything"
    stored: list[str] = []
    after: str | None = "0"
    while after is not None:
        page = org.get(f"/api/v1/calls/{call['id']}/decisions?after={after}&limit=1000")
        stored += [item["event_id"] for item in page["items"]]
        after = page["next"]
    missing = set(acked) - set(stored)
    assert not missing, f"{len(missing)} acknowledged decisions were lost"
    assert len(stored) == len(set(stored)), "a decision was stored twice"
    verdict = own_server.cli("verify-ledger", check=False)
    assert verdict.returncode == 0, verdict.stderr
    # After the restart nobody is counted present: presence was reset, not left stale.
    assert org.get(f"/api/v1/calls/{call['id']}")["summary"]["present"] == 0
