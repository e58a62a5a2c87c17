"""Issue 8, Done when: a database wait does not freeze the server.

Another process holds SQLite's write lock for 5 s while participants decide. Meanwhile the
server must go on answering `/healthz` within 100 ms (and never take a second, the catch-up
after the release included), and every decision sent while the lock was held must be
acknowledged once it is released (not before: it cannot have been committed earlier), and be
in the ledger. /healthz is polled every 50 ms from a process of its own, so that the test's
own client threads cannot delay the measurement.
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
HEALTH_LIMIT = 0.1  # seconds: /healthz while the lock is held
FREEZE_LIMIT = 1.0  # seconds: /healthz at any time, the catch-up after the release included
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


class HealthPoller:
    """GET /healthz every 50 ms from a process of its own (so that the test's client threads
    cannot delay the measurement), recording (when sent, latency) for each poll; a failure or
    timeout counts as 1000 s."""

    SCRIPT = """
import http.client, sys, time
host, port, every = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
while True:
    sent, started = time.time(), time.monotonic()
    try:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        conn.request("GET", "/healthz")
        ok = conn.getresponse().status == 200
        conn.close()
    except OSError:
        ok = False
    latency = time.monotonic() - started + (0 if ok else 1000)
    print(sent, latency, flush=True)
    time.sleep(max(0.0, every - latency))
"""

    def __init__(self, server: Server) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", self.SCRIPT, "127.0.0.1", str(server.port),
             str(HEALTH_EVERY)], stdout=subprocess.PIPE, text=True)
        self.samples: list[tuple[float, float]] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            sent, latency = line.split()
            self.samples.append((float(sent), float(latency)))

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        self.reader.join(10)
        assert self.process.stdout is not None
        self.process.stdout.close()


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
    poller = HealthPoller(sqlite_server)
    deciders = [Decider(widget, stop) for widget in widgets]
    try:
        for thread in deciders:
            thread.start()
        time.sleep(1.0)
        with subprocess.Popen([sys.executable, "-c", LOCKER, database, str(LOCK_SECONDS)],
                              stdout=subprocess.PIPE, text=True) as locker:
            assert locker.stdout is not None
            locked_at = float(locker.stdout.readline().split()[1])
            releasing_at = float(locker.stdout.readline().split()[1])
            assert locker.wait(30) == 0
        time.sleep(1.5)
    finally:
        stop.set()
        poller.stop()
        for thread in deciders:
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
    # While the lock is held, every poll is answered within HEALTH_LIMIT (a poll sent in the
    # last HEALTH_LIMIT before the release could be answered after it, in the catch-up).
    # Before and after, including the catch-up of the decisions that queued meanwhile, none
    # may take FREEZE_LIMIT: the server is never frozen.
    held = [(at, latency) for at, latency in poller.samples
            if locked_at <= at <= releasing_at - HEALTH_LIMIT]
    if len(held) < LOCK_SECONDS / HEALTH_EVERY / 2:
        problems.append(f"only {len(held)} polls of /healthz while the lock was held (one "
                        f"every {HEALTH_EVERY} s was due): the answers were held up")
    timeline = [(round(at - locked_at, 2), round(latency, 3)) for at, latency in poller.samples]
    slow = [(round(at - locked_at, 2), round(latency, 3)) for at, latency in held
            if latency > HEALTH_LIMIT]
    if slow:
        problems.append(f"/healthz over {HEALTH_LIMIT * 1000:.0f} ms in {len(slow)} of "
                        f"{len(held)} polls while the lock was held; (s after the lock was "
                        f"taken, latency): {slow[:10]}")
    frozen = [(t, latency) for t, latency in timeline if latency >= FREEZE_LIMIT]
    if frozen:
        problems.append(f"/healthz took {FREEZE_LIMIT} s or more (s after the lock was taken, "
                        f"latency): {frozen[:10]}")
    if problems:
        problems.append(f"every poll over {HEALTH_LIMIT * 1000:.0f} ms, from the first to the "
                        f"last (lock held from 0 to {releasing_at - locked_at:.2f} s): "
                        f"{[(t, lat) for t, lat in timeline if lat > HEALTH_LIMIT][:20]}")
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
