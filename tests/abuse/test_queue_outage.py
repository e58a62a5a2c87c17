"""Redis stopped for 20 s under two processes: hosts are told, nothing is lost, and they
converge within 2 s of its return.

Before: hosts on the other process got nothing until 11–60 s after Redis returned (the
listener's doubling backoff), with no sign that their view was stale. This uses a throwaway
redis-server of its own on a free port (never the shared one), stopped and started again.
"""

import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.conftest import fresh_database, lecture_notice
from tests.e2e.harness import Host, Org, Participant, Server, free_port

OUTAGE = 20.0
CONVERGE = 2.0


class OwnRedis:
    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                if client.ping():
                    client.close()
                    return
            except redis.RedisError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


class WatchingHost(Host):
    """A host as the dashboard behaves: notes `feed` liveness, resyncs on `live: true`."""

    def __init__(self, url: str, token: str) -> None:
        self.feed: list[tuple[float, bool]] = []
        self.converged_at: float | None = None
        self._lock = threading.Lock()
        super().__init__(url, token)
        self.client.on("feed", self._on_feed, namespace="/host")

    def _on_feed(self, data: dict[str, Any]) -> None:
        self.feed.append((time.monotonic(), data["live"]))
        if data["live"]:
            threading.Thread(target=self._catch_up).start()

    def _catch_up(self) -> None:
        answer = self.resync(self.last_seq)
        with self._lock:
            if "roster" in answer:
                self.roster, self.updates, self.arrivals = answer["roster"], [], []
            else:
                for update in answer["updates"]:
                    if update["seq"] > self.last_seq:
                        self.updates.append(update)

    def _on_update(self, data: Any) -> None:
        with self._lock:
            batch = data if isinstance(data, list) else [data]
            for update in batch:
                if update["seq"] > self.last_seq:  # resync may have brought it already
                    self.updates.append(update)


@pytest.fixture
def two_processes(tmp_path: Path) -> Iterator[tuple[OwnRedis, Server, Server]]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    queue = OwnRedis(tmp_path)
    queue.start()
    try:
        with fresh_database(tmp_path) as url:
            env = {"WIDGET_SERVER_MESSAGE_QUEUE": f"redis://127.0.0.1:{queue.port}/0"}
            (tmp_path / "a").mkdir()
            (tmp_path / "b").mkdir()
            first = Server(tmp_path / "a", url, extra_env=env).start()
            second = Server(tmp_path / "b", url, extra_env=env).start()
            try:
                yield queue, first, second
            finally:
                second.stop()
                first.stop()
    finally:
        queue.stop()  # --save "" and no AOF: it wrote no file


def test_hosts_are_told_and_converge_after_a_redis_outage(
        two_processes: tuple[OwnRedis, Server, Server]) -> None:
    queue, first, second = two_processes
    org = Org(first)
    call = org.open_call(lecture_notice())
    hosts = [WatchingHost(first.url, call["host"]["token"]),
             WatchingHost(second.url, call["host"]["token"])]
    people = [Participant(server.url, call["widget"]["token"])
              for server in (first, second) for _ in range(3)]
    for n, person in enumerate(people):
        person.join({"display_name": f"P{n}"})
    acked: list[str] = []

    def decide_all(choice: str) -> None:
        for person in people:
            event_id = str(uuid.uuid4())
            answer = person.decide({"recording": choice}, event_id=event_id)
            assert answer["ok"], answer
            acked.append(event_id)

    decide_all("granted")
    stopped = time.monotonic()
    queue.stop()
    # During the outage participants on both processes go on deciding.
    rounds = 0
    while time.monotonic() - stopped < OUTAGE:
        decide_all("denied" if rounds % 2 == 0 else "granted")
        rounds += 1
        time.sleep(2.0)
    told = [next((t - stopped for t, live in h.feed if not live), None) for h in hosts]
    queue.start()
    returned = time.monotonic()
    truth = Host(first.url, call["host"]["token"])
    truth_seq = truth.last_seq
    truth.close()
    deadline = returned + 15
    while not all(h.last_seq >= truth_seq for h in hosts):
        assert time.monotonic() < deadline, [h.last_seq for h in hosts] + [truth_seq]
        time.sleep(0.02)
    converged = time.monotonic() - returned
    back = [next((t - returned for t, live in h.feed if live), None) for h in hosts]
    print(f"\nRedis down {OUTAGE:.0f} s, {len(acked)} decisions acked ({rounds} rounds during "
          f"the outage); hosts told it was down after {told} s, live again after {back} s; "
          f"both converged to seq {truth_seq} {converged:.2f} s after Redis returned")
    assert all(t is not None and t < 2.0 for t in told)
    assert converged < CONVERGE
    # No decision lost: every acked one is in the ledger.
    ledger: list[dict] = []
    after = None
    while True:
        page = org.get(f"/api/v1/calls/{call['id']}/decisions?limit=500"
                       + (f"&after={after}" if after else ""))
        ledger += page["items"]
        after = page["next"]
        if not after:
            break
    recorded = {item.get("event_id") for item in ledger}
    assert set(acked) <= recorded, f"{len(set(acked) - recorded)} acked decisions missing"
    for person in people:
        person.close()
    for host in hosts:
        host.close()
