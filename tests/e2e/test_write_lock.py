"""Issue 8, Done when: a database wait does not freeze the server.

Another process holds SQLite's write lock for 5 s while participants decide. Meanwhile the
server must go on answering `/healthz` within 100 ms, and every decision sent while the lock
was held must be acknowledged once it is released (not before: it cannot have been committed
earlier), and be in the ledger.
"""

import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import PG_URL, lecture_notice
from tests.e2e.harness import Org, Server
from tests.e2e.live_load import Widget, ledger, server_with

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(bool(PG_URL), reason="holds SQLite's write lock: a SQLite-only test "
                                            "(the SQLite run of the suite executes it)"),
]

PARTICIPANTS = 10
PACE = 0.2  # seconds between one participant's decisions, sent without waiting for the ack
LOCK_SECONDS = 5.0
HEALTH_EVERY = 0.05
HEALTH_LIMIT = 0.1
ACK_TIMEOUT = 40.0

# Holds the database's write lock, saying when it took it and when it lets go (wall clock,
# comparable with the test's time.time()).
LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("BEGIN IMMEDIATE")
print("locked", time.time(), flush=True)
time.sleep(float(sys.argv[2]))
print("releasing", time.time(), flush=True)
conn.execute("COMMIT")
conn.close()
"""


@pytest.fixture
def sqlite_server(tmp_path: Path) -> Iterator[Server]:
    with server_with(tmp_path) as server:
        yield server


class Decider(threading.Thread):
    """A joined participant sending a decision every PACE seconds until stopped, each with a
    callback: a decision is sent while earlier ones still wait for their commit."""

    def __init__(self, widget: Widget, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.widget, self.stop = widget, stop
        self.sent: dict[str, float] = {}  # event_id → when sent
        self.answers: dict[str, tuple[float, Any]] = {}  # event_id → (when answered, answer)
        self.lock = threading.Lock()

    def run(self) -> None:
        state = "granted"
        while not self.stop.is_set():
            event_id = str(uuid.uuid4())
            with self.lock:
                self.sent[event_id] = time.time()
            # granted and denied are allowed from any state: the order of acks cannot matter.
            self.widget.client.emit("decide", {"event_id": event_id,
                                               "choices": {"recording": state}},
                                    namespace="/participant",
                                    callback=lambda answer=None, e=event_id: self._answered(
                                        e, answer))
            state = "denied" if state == "granted" else "granted"
            time.sleep(PACE)

    def _answered(self, event_id: str, answer: Any) -> None:
        with self.lock:
            self.answers[event_id] = (time.time(), answer)


class HealthPoller(threading.Thread):
    """GET /healthz every 50 ms; records (when sent, latency) — a timeout as its full wait."""

    def __init__(self, url: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.url, self.stop = url, stop
        self.samples: list[tuple[float, float]] = []

    def run(self) -> None:
        http = requests.Session()
        while not self.stop.is_set():
            sent, started = time.time(), time.monotonic()
            try:
                http.get(f"{self.url}/healthz", timeout=10).raise_for_status()
                latency = time.monotonic() - started
            except requests.RequestException:
                latency = time.monotonic() - started + 1000  # marks a failure beyond any limit
            self.samples.append((sent, latency))
            time.sleep(max(0.0, HEALTH_EVERY - latency))


def test_a_held_write_lock_neither_freezes_the_server_nor_loses_decisions(
        sqlite_server: Server) -> None:
    org = Org(sqlite_server)
    call = org.open_call(lecture_notice())
    widgets = [Widget(sqlite_server.url, call, timeout=ACK_TIMEOUT) for _ in range(PARTICIPANTS)]
    for i, widget in enumerate(widgets):
        joined = widget.join(f"Person {i}")
        assert joined.get("ok"), joined
    database = sqlite_server.env["WIDGET_SERVER_DATABASE_URL"].removeprefix("sqlite:///")
    stop = threading.Event()
    poller = HealthPoller(sqlite_server.url, stop)
    deciders = [Decider(widget, stop) for widget in widgets]
    try:
        for thread in [poller, *deciders]:
            thread.start()
        time.sleep(1.0)
        locker = subprocess.Popen([sys.executable, "-c", LOCKER, database, str(LOCK_SECONDS)],
                                  stdout=subprocess.PIPE, text=True)
        assert locker.stdout is not None
        locked_at = float(locker.stdout.readline().split()[1])
        releasing_at = float(locker.stdout.readline().split()[1])
        assert locker.wait(30) == 0
        time.sleep(1.5)
    finally:
        stop.set()
        for thread in [poller, *deciders]:
            thread.join(ACK_TIMEOUT)

    # Every decision is answered (waiting at most ACK_TIMEOUT for the last ones).
    deadline = time.monotonic() + ACK_TIMEOUT
    while time.monotonic() < deadline and any(len(d.answers) < len(d.sent) for d in deciders):
        time.sleep(0.1)
    sent = {e: at for d in deciders for e, at in d.sent.items()}
    answers = {e: answer for d in deciders for e, answer in d.answers.items()}
    during = {e for e, at in sent.items() if locked_at <= at <= releasing_at}
    assert len(during) >= PARTICIPANTS * 10, f"too few decisions sent under the lock: {len(during)}"

    problems: list[str] = []
    slow = [(round(at - locked_at, 2), round(latency, 3)) for at, latency in poller.samples
            if latency > HEALTH_LIMIT]
    worst = max(latency for _, latency in poller.samples)
    if slow:
        problems.append(f"/healthz over {HEALTH_LIMIT * 1000:.0f} ms in {len(slow)} of "
                        f"{len(poller.samples)} polls (worst {worst:.3f} s; "
                        f"(s after the lock was taken, latency): {slow[:8]})")
    unanswered = set(sent) - set(answers)
    if unanswered:
        problems.append(f"{len(unanswered)} of {len(sent)} decisions never answered "
                        f"({len(unanswered & during)} of them sent under the lock)")
    refused = {e: a for e, (_, a) in answers.items() if not (isinstance(a, dict) and a.get("ok"))}
    if refused:
        codes = sorted({str(a.get("error", {}).get("code")) if isinstance(a, dict) else repr(a)
                        for a in refused.values()})
        problems.append(f"{len(refused)} of {len(answers)} decisions refused ({codes}; "
                        f"{len(set(refused) & during)} of them sent under the lock)")
    early = [e for e in during if e in answers and answers[e][0] < releasing_at]
    if early:
        problems.append(f"{len(early)} decisions sent under the lock were answered before it "
                        "was released (they cannot have been committed)")
    acked = {e for e, (_, a) in answers.items() if isinstance(a, dict) and a.get("ok")}
    stored = {item["event_id"] for item in ledger(org, call["id"])}
    lost = acked - stored
    if lost:
        problems.append(f"{len(lost)} acknowledged decisions are not in the ledger")
    for widget in widgets:
        widget.close()
    assert not problems, "\n".join(problems)
