"""A real server process and real clients, for end-to-end tests."""

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
import socketio

from tests.conftest import fresh_database

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "widget_server.entry"]


def free_port() -> int:
    """A port below the ephemeral range (32768+), so that the many outgoing connections of
    load tests and of other test runs on this machine cannot take it before the server
    listens on it."""
    rng = random.SystemRandom()
    while True:
        port = rng.randrange(20000, 32700)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


class PortTaken(RuntimeError):
    pass


class Server:
    """`widget-server serve` in its own process, with its log captured to a file.

    `preexec` runs in the child before the server starts (e.g. to lower its descriptor limit).
    """

    preexec: Any = None

    def __init__(self, workdir: Path, database_url: str, mode: str = "eventlet",
                 extra_env: dict[str, str] | None = None) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"server-{self.port}.log"
        self.env = {**os.environ, "WIDGET_SERVER_DATABASE_URL": database_url,
                    "WIDGET_SERVER_INSTANCE_PATH": str(workdir / "instance"),
                    "WIDGET_SERVER_SECRET_KEY": "e2e-secret-" + "x" * 40,
                    "WIDGET_SERVER_ASYNC_MODE": mode, **(extra_env or {})}
        self.process: subprocess.Popen[bytes] | None = None
        self.started_once = False
        if not database_url.startswith("sqlite"):
            self.cli("db", "upgrade")

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*CLI, *args], env=self.env, cwd=self.workdir, text=True,
                              capture_output=True, check=check, timeout=60)

    def start(self) -> "Server":
        for _ in range(5):
            try:
                return self._start()
            except PortTaken:
                if self.process is None or self.started_once:
                    raise
                # Taken between choosing and listening (other test runs share the machine).
                self.port = free_port()
                self.url = f"http://127.0.0.1:{self.port}"
        raise RuntimeError("no free port")

    def _start(self) -> "Server":
        with open(self.log_path, "ab") as log:  # the child keeps its own copy of the handle
            self.process = subprocess.Popen([*CLI, "serve", "--port", str(self.port)],
                                            env=self.env, cwd=self.workdir, stdout=log,
                                            stderr=log, preexec_fn=self.preexec)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = self.log_path.read_text()[-2000:]
                if "in use" in log and not self.started_once:
                    raise PortTaken(log)
                raise RuntimeError(f"server exited: {log}")
            try:
                if requests.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    self.started_once = True
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()  # not left running behind a failed test
        raise RuntimeError("server did not become ready")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def running_server(folder: Path, mode: str = "eventlet") -> Iterator[Server]:
    """A started server on a fresh database in `folder`, stopped (and the database dropped)
    afterwards."""
    with fresh_database(folder) as url:
        server = Server(folder, url, mode=mode).start()
        try:
            yield server
        finally:
            server.stop()


class Org:
    """An organisation made with the CLI, acting through the REST API."""

    def __init__(self, server: Server, origins: tuple[str, ...] = ("https://meet.example.org",)):
        args = ["create-org", "E2E Org", "--json"]
        for origin in origins:
            args += ["--origin", origin]
        out = json.loads(server.cli(*args).stdout)
        self.server, self.id, self.key = server, out["organisation_id"], out["api_key"]
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {self.key}"

    def post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.http.post(self.server.url + path, json=body or {}, timeout=10)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def get(self, path: str) -> Any:
        response = self.http.get(self.server.url + path, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def open_call(self, notice: dict[str, Any]) -> dict[str, Any]:
        published = self.post("/api/v1/notices", notice)
        return self.post("/api/v1/calls", {"title": "E2E call", "notice_id": published["id"]})


class Participant:
    """A widget's connection: records what the server pushes (call_ended) in `events`."""

    def __init__(self, url: str, token: str, resume: str | None = None) -> None:
        self.client = socketio.Client(reconnection=False)
        self.events: list[tuple[str, Any]] = []
        self.client.on("call_ended", lambda data=None: self.events.append(("call_ended", data)),
                       namespace="/participant")
        auth: dict[str, Any] = {"token": token}
        if resume:
            auth["resume"] = resume
        self.client.connect(url, namespaces=["/participant"], auth=auth,
                            transports=["websocket"], wait_timeout=10)
        self.id: str | None = None
        self.resume: str | None = None

    def emit(self, event: str, data: Any, callback: Any = None) -> None:
        self.client.emit(event, data, namespace="/participant", callback=callback)

    def call(self, event: str, data: Any, timeout: float = 10) -> dict[str, Any]:
        answer: dict[str, Any] = self.client.call(event, data, namespace="/participant",
                                                  timeout=timeout)
        return answer

    def join(self, fields: dict[str, Any] | None = None, language: str = "en",
             ref: str | None = None) -> dict[str, Any]:
        """As the widget joins: the notice first, then the join saying which one was shown."""
        shown = self.call("notice", {"language": language})
        assert shown["ok"], shown
        body = {"fields": fields or {}, "language": language,
                "seen": {"notice_hash": shown["notice"]["content_hash"]}}
        if ref is not None:
            body["ref"] = ref
        answer = self.call("join", body)
        assert answer["ok"], answer
        self.id, self.resume = answer["participant"]["id"], answer["participant"]["resume"]
        return answer

    def decide(self, choices: dict[str, str], fields: dict[str, Any] | None = None,
               event_id: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"event_id": event_id or str(uuid.uuid4()), "choices": choices}
        if fields:
            body["fields"] = fields
        return self.call("decide", body)

    def close(self) -> None:
        self.client.disconnect()


def in_order(client: socketio.Client) -> None:
    """Handle each message on the client's reading thread, in the order it came off the
    socket. engineio's client hands every message to a thread of its own, so on a loaded
    machine two updates can be handled (and recorded) in the other order than they arrived:
    a test of the server's ordering must see the socket's order."""
    trigger = client.eio._trigger_event

    def sequential(event: str, *args: Any, **kwargs: Any) -> Any:
        kwargs["run_async"] = False
        return trigger(event, *args, **kwargs)

    client.eio._trigger_event = sequential  # type: ignore[method-assign]


class Host:
    """A host client that records the roster and every update, in arrival order."""

    def __init__(self, url: str, token: str) -> None:
        self.client = socketio.Client(reconnection=False)
        in_order(self.client)
        self.roster: dict[str, Any] | None = None
        self.updates: list[dict[str, Any]] = []
        self.arrivals: list[float] = []
        self.client.on("roster", self._on_roster, namespace="/host")
        self.client.on("update", self._on_update, namespace="/host")
        self.client.connect(url, namespaces=["/host"], auth={"token": token},
                            transports=["websocket"], wait_timeout=10)
        self.wait_for(lambda: self.roster is not None)

    def _on_roster(self, data: dict[str, Any]) -> None:
        self.roster = data

    def _on_update(self, data: Any) -> None:
        batch = data if isinstance(data, list) else [data]
        now = time.monotonic()
        for update in batch:
            # As the contract asks of hosts: what the roster already holds is not news.
            if self.roster is not None and update["seq"] <= self.roster["seq"]:
                continue
            self.updates.append(update)
            self.arrivals.append(now)

    @property
    def last_seq(self) -> int:
        if self.updates:
            return int(self.updates[-1]["seq"])
        assert self.roster is not None
        return int(self.roster["seq"])

    def resync(self, since: int) -> dict[str, Any]:
        answer: dict[str, Any] = self.client.call("resync", {"since": since}, namespace="/host",
                                                  timeout=10)
        return answer

    def wait_for(self, condition: Any, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.01)
        raise AssertionError("timed out waiting for the host to see it")

    def close(self) -> None:
        self.client.disconnect()


class Processor:
    """A processing pipeline on /processor: records every plan pushed, with its arrival time."""

    def __init__(self, url: str, token: str, **auth: Any) -> None:
        self.client = socketio.Client(reconnection=False)
        self.plans: list[dict[str, Any]] = []
        self.arrivals: list[float] = []
        self.revoked = False
        self.client.on("plan", self._on_plan, namespace="/processor")
        self.client.on("revoked", self._on_revoked, namespace="/processor")
        self.client.connect(url, namespaces=["/processor"], auth={"token": token, **auth},
                            transports=["websocket"], wait_timeout=10)
        self.wait_for(lambda: bool(self.plans))

    def _on_plan(self, plan: dict[str, Any]) -> None:
        self.plans.append(plan)
        self.arrivals.append(time.monotonic())

    def _on_revoked(self, data: Any = None) -> None:
        self.revoked = True

    @property
    def plan(self) -> dict[str, Any]:
        return self.plans[-1]

    def applied(self, seq: int) -> dict[str, Any]:
        answer: dict[str, Any] = self.client.call("applied", {"seq": seq},
                                                  namespace="/processor", timeout=10)
        return answer

    def wait_for(self, condition: Any, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.01)
        raise AssertionError("timed out waiting for the processor to see it")

    def close(self) -> None:
        self.client.disconnect()
