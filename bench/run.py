"""The benchmark: the product against a reference Socket.IO server, in one run, one table.

    .venv/bin/python bench/run.py            # full (several minutes)
    .venv/bin/python bench/run.py --quick    # seconds; CI runs it so the bench keeps working

For each scenario it starts a fresh product process as a user runs it (`widget-server serve`:
eventlet, the embedded SQLite with synchronous=FULL) and a fresh reference (Node socket.io,
bench/reference/server.js, same protocol, no database), each pinned to CPU 0, and drives both
with the same load generator (bench/loadgen, Node) pinned to CPU 1. After S1 and S4 it checks
that every decision acknowledged by the product is in its ledger and that the ledger verifies.
It also measures the raw SQLite commit rate with synchronous=FULL on the same disk: the
durability limit. Results: a table on stdout and JSON in bench/results/.
"""

import argparse
import json
import os
import platform
import random
import resource
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
LOADGEN = BENCH / "loadgen" / "loadgen.js"
REFERENCE = BENCH / "reference" / "server.js"
PYTHON = sys.executable

NOTICE = {
    "name": "Bench", "controller": {"name": "Bench Org", "contact_email": "dpo@example.org"},
    "privacy_policy_url": "https://example.org/privacy",
    "default_language": "en",
    "purposes": [
        {"key": "recording", "lawful_basis": "consent", "gates_recording": True, "data": [],
         "retention_days": 30, "text": {"en": {"title": "Record", "description": "Rec."}}},
        {"key": "service", "lawful_basis": "contract", "data": [], "retention_days": 30,
         "text": {"en": {"title": "Service", "description": "Needed."}}},
    ],
}

# Each scenario, by name: which loadgen scenario and client, its arguments, whether the
# product's ledger is checked against the acknowledged event ids, and the figures in the
# table (path in the result, label, whether higher is better). `raw` is the bench's own
# Engine.IO client (websocket only, no compression); `sio` the standard socket.io-client
# as a browser uses it (long-polling first, then the upgrade; permessage-deflate offered).
SCENARIOS: dict[str, dict[str, Any]] = {
    "S1-1host": {"scenario": "S1", "client": "raw", "args": ["--hosts", "1"], "ledger": True,
                 "figures": [("throughput.decisions_per_s", "S1 decisions/s acked, 1 host", True)]},
    "S1-1host-sio": {"scenario": "S1", "client": "sio", "args": ["--hosts", "1"], "ledger": True,
                     "figures": [("throughput.decisions_per_s",
                                  "S1 decisions/s acked, 1 host, socket.io-client", True)]},
    "S1-10hosts": {"scenario": "S1", "client": "raw", "args": ["--hosts", "10"], "ledger": True,
                   "figures": [("throughput.decisions_per_s", "S1 decisions/s acked, 10 hosts",
                                True)]},
    "S2": {"scenario": "S2", "client": "raw", "args": [],
           "figures": [("latency.host_ms.p50", "S2 emit→host p50 ms", False),
                       ("latency.host_ms.p99", "S2 emit→host p99 ms", False),
                       ("latency.host_ms.max", "S2 emit→host max ms", False)]},
    "S3": {"scenario": "S3", "client": "raw", "args": [],
           "figures": [("memory.kb_per_connection", "S3 KB per idle connection", False)]},
    # 3,000, not 10,000: socket.io-client's long-polling handshakes make 10,000 take longer
    # than the loadgen's bound on a shared machine; KB per connection is the same figure.
    "S3-sio": {"scenario": "S3", "client": "sio", "args": [], "full_args": ["--connected", "3000"],
               "figures": [("memory.kb_per_connection",
                            "S3 KB per idle connection, socket.io-client", False)]},
    "S4": {"scenario": "S4", "client": "raw", "args": [], "ledger": True,
           "figures": [("burst.last_ack_ms", "S4 ms to the last ack (join+decide burst)", False),
                       ("burst.converged_after_last_ack_ms",
                        "S4 ms host converged after the last ack", False)]},
    "S5": {"scenario": "S5", "client": "raw", "args": [],
           "figures": [("snapshot.median_ms", "S5 host roster, median ms", False),
                       ("snapshot.max_ms", "S5 host roster, max ms", False)]},
    # A processor on /processor (a grant for `recording`) while 100 participants decide at
    # 500/s, alternating granted/withdrawn: from a withdrawal's ack to the processor's plan.
    "S6": {"scenario": "S6", "client": "raw", "args": [], "processor": "recording",
           "figures": [("plan.withdrawal_to_plan_ms.p50", "S6 withdrawal ack→processor plan p50 ms",
                        False),
                       ("plan.withdrawal_to_plan_ms.p99", "S6 withdrawal ack→processor plan p99 ms",
                        False),
                       ("plan.withdrawal_to_plan_ms.max", "S6 withdrawal ack→processor plan max ms",
                        False)]},
    # S1 on PostgreSQL: two product processes (Redis as message queue) behind nginx, beside
    # one process on its own. Both sides are the product; no reference runs. The processes
    # and nginx share CPU 0, as the single process does: the figure is the cost of the proxy
    # and of coordinating through Redis and leases, not of a second core.
    "S7": {"scenario": "S1", "client": "raw", "args": ["--hosts", "1"], "ledger": True,
           "sides": ("pg-two-nginx", "pg-one"),
           "figures": [("throughput.decisions_per_s",
                        "S7 S1 decisions/s on PostgreSQL: 2 processes + nginx / 1 process",
                        True)]},
}


def pinned(cpu: int, command: list[str]) -> list[str]:
    return ["taskset", "-c", str(cpu), *command] if shutil.which("taskset") else command


def open_files() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def free_port() -> int:
    """A free port below the ephemeral range: after a scenario of 10,000 sockets, tens of
    thousands of TIME_WAIT sockets can fill the ephemeral range and make bind(0) fail."""
    import socket

    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for _ in range(500):
        port = random.randrange(10_000, max(10_001, low))
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit("no free port below the ephemeral range")


def time_wait_sockets() -> int:
    count = 0
    for table_file in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table_file).read_text().splitlines()[1:]
        except OSError:
            continue
        count += sum(1 for line in lines if line.split()[3] == "06")
    return count


def settle(limit: int = 8000, longest: float = 45.0) -> dict[str, float]:
    """Waits (bounded) until the previous scenario's closed sockets have left TIME_WAIT, so
    that each scenario starts from the same state of the kernel's connection tables."""
    started = time.monotonic()
    while time_wait_sockets() > limit and time.monotonic() - started < longest:
        time.sleep(2)
    return {"waited_s": round(time.monotonic() - started, 1),
            "time_wait_sockets": time_wait_sockets()}


class CpuMeter:
    """CPU used by every other process on the machine while one side of a scenario ran
    (start of the server to its exit), in % of one core: the machine's busy time from
    /proc/stat minus this process and its reaped children (server, loadgen, CLI calls)."""

    def __init__(self) -> None:
        self.wall = time.monotonic()
        self.machine = machine_busy_s()
        self.ours = own_cpu_s()

    def stop(self) -> dict[str, float]:
        wall = time.monotonic() - self.wall
        machine = machine_busy_s() - self.machine
        ours = own_cpu_s() - self.ours
        return {"wall_s": round(wall, 1), "machine_cpu_pct": round(100 * machine / wall, 1),
                "bench_cpu_pct": round(100 * ours / wall, 1),
                "other_cpu_pct": round(max(0.0, 100 * (machine - ours) / wall), 1)}


def machine_busy_s() -> float:
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


class Product:
    """`widget-server serve` on a fresh embedded database, as a user runs it."""

    def __init__(self, folder: Path, overrides: dict[str, str] | None = None,
                 launcher: list[str] | None = None, api_key: str | None = None,
                 cpu: int = 0) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "WIDGET_SERVER_INSTANCE_PATH": str(folder / "instance"),
                    "WIDGET_SERVER_ASYNC_MODE": "eventlet",
                    # The per-connection rate limit guards against abuse; the bench's closed
                    # loop sends far faster than a person, so it is lifted here (and only here).
                    "WIDGET_SERVER_SOCKET_RATE": "100000", "WIDGET_SERVER_SOCKET_BURST": "100000",
                    # Thousands of connections from one address: the per-source limits, too.
                    "WIDGET_SERVER_RATE_LIMITS": "false"}
        for name in ("WIDGET_SERVER_DATABASE_URL", "WIDGET_SERVER_SECRET_KEY"):
            self.env.pop(name, None)
        self.env.update(overrides or {})
        if not self.env.get("WIDGET_SERVER_DATABASE_URL", "sqlite").startswith("sqlite"):
            upgraded = self.cli("db", "upgrade")  # as docs/deploy says: before any start
            if upgraded.returncode != 0:
                raise SystemExit(f"db upgrade failed: {upgraded.stderr[-2000:]}")
        self.log = open(folder / "product.log", "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            pinned(cpu, [*(launcher or [PYTHON, "-m", "widget_server.entry"]), "serve",
                         "--port", str(self.port)]),
            cwd=folder, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
            preexec_fn=open_files)
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = (folder / "product.log").read_text()
                raise SystemExit(f"the product did not start: {log}")
            time.sleep(0.1)
        if api_key is None:  # a second process of a cluster shares the first's organisation
            made = self.cli("create-org", "Bench", "--origin", "https://bench.example",
                            "--json")
            api_key = json.loads(made.stdout)["api_key"]
        self.key: str = api_key

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([PYTHON, "-m", "widget_server.entry", *args], cwd=self.folder,
                              env=self.env, capture_output=True, text=True, timeout=300,
                              check=False)

    def api(self, method: str, path: str, body: Any = None) -> Any:
        response = requests.request(method, self.url + path, json=body, timeout=60,
                                    headers={"Authorization": f"Bearer {self.key}"})
        response.raise_for_status()
        return response.json()

    def new_call(self) -> dict[str, str]:
        notice = self.api("POST", "/api/v1/notices", NOTICE)
        call = self.api("POST", "/api/v1/calls", {"title": "Bench", "notice_id": notice["id"]})
        # The loadgen's join names the notice shown by this hash (CONTRACT §A, `seen`).
        return {"id": call["id"], "widget": call["widget"]["token"],
                "host": call["host"]["token"], "notice_hash": call["notice"]["content_hash"]}

    def processor_token(self, call_id: str, purpose: str) -> str:
        """A processing grant of the call for `purpose` (CONTRACT §D): its token."""
        made = self.api("POST", f"/api/v1/calls/{call_id}/grants",
                        {"purpose": purpose, "name": "Bench processor"})
        return str(made["token"])

    def stored_decision_ids(self, call_id: str) -> list[str]:
        """The event_id of every decision in the call's ledger (not the joins' notice_served
        events), one per ledger row, oldest first."""
        ids: list[str] = []
        after: str | None = "0"
        while after is not None:
            page = self.api("GET", f"/api/v1/calls/{call_id}/decisions?after={after}&limit=1000")
            ids += [item["event_id"] for item in page["items"]
                    if item.get("purpose") is not None and item.get("state") != "notice_served"]
            after = page["next"]
        return ids

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(15)
        self.log.close()


class Reference:
    """The reference server: Node socket.io, same protocol shape, no database."""

    def __init__(self, folder: Path) -> None:
        self.log = open(folder / "reference.log", "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(pinned(0, ["node", str(REFERENCE), "--port",
                                                   str(free_port())]),
                                        stdout=subprocess.PIPE, stderr=self.log, text=True,
                                        preexec_fn=open_files)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().split()
        if len(line) != 2 or line[0] != "READY":
            raise SystemExit("the reference server did not start")
        self.url = f"http://127.0.0.1:{line[1]}"
        self.calls = 0

    def new_call(self) -> dict[str, str]:
        self.calls += 1  # any fresh token names a fresh call on the reference
        # No notice hash: the loadgen reads it with the `notice` event, as the widget does.
        return {"id": f"ref-{self.calls}", "widget": f"ref-{self.calls}",
                "host": f"ref-{self.calls}"}

    @staticmethod
    def processor_token(call_id: str, purpose: str) -> str:
        return call_id  # on the reference, any token names its call, on /processor too

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(15)
        self.log.close()


PG_URL = os.environ.get("WIDGET_SERVER_BENCH_PG",
                        "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("WIDGET_SERVER_BENCH_REDIS", "redis://127.0.0.1:6379/10")

NGINX_CONF = """
worker_processes 1;
{user}
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
daemon off;
worker_rlimit_nofile 20000;
events {{ worker_connections 16384; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; "" close; }}
    upstream widget {{
        # Every bench client comes from 127.0.0.1, so ip_hash (docs/deploy/nginx.conf) would
        # send all to one process. The bench's raw client is websocket only (one TCP
        # connection per client, nothing to keep sticky), so the address and port spread it.
        hash $remote_addr$remote_port consistent;
        {servers}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location / {{
            proxy_pass http://widget;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_read_timeout 120s;
        }}
    }}
}}
"""


def postgres_database() -> str:
    """A new, empty database on the PostgreSQL server (dropped by drop_database)."""
    from sqlalchemy import create_engine, text

    name = f"bench_{time.monotonic_ns()}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_database(url: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


class OnPostgres:
    """One product process on a fresh PostgreSQL database (S7's baseline)."""

    def __init__(self, folder: Path, overrides: dict[str, str]) -> None:
        self.database = postgres_database()
        try:
            self.product = Product(folder, {**overrides,
                                            "WIDGET_SERVER_DATABASE_URL": self.database})
        except BaseException:
            drop_database(self.database)
            raise
        self.url, self.process = self.product.url, self.product.process

    def new_call(self) -> dict[str, str]:
        return self.product.new_call()

    def stop(self) -> None:
        try:
            self.product.stop()
        finally:
            drop_database(self.database)


class Cluster(OnPostgres):
    """Two product processes on one PostgreSQL database, Redis as message queue, with a
    shared secret and signing key, behind nginx (docs/deploy/), all on CPU 0."""

    def __init__(self, folder: Path, overrides: dict[str, str]) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(binary).exists():
            raise SystemExit("S7 needs nginx (apt-get install nginx-light)")
        self.database = postgres_database()
        self.products: list[Product] = []
        self.nginx: subprocess.Popen[bytes] | None = None
        shared = {**overrides, "WIDGET_SERVER_DATABASE_URL": self.database,
                  "WIDGET_SERVER_MESSAGE_QUEUE": REDIS,
                  "WIDGET_SERVER_SECRET_KEY": "bench-secret-" + "x" * 40,
                  "WIDGET_SERVER_SIGNING_KEY_FILE": str(folder / "signing_key.json"),
                  "WIDGET_SERVER_TRUSTED_PROXY_HOPS": "1"}
        try:
            for index in range(2):
                (folder / str(index)).mkdir()
                key = self.products[0].key if self.products else None
                self.products.append(Product(folder / str(index), shared, api_key=key))
            self.product = self.products[0]  # the API and the CLI: one database for both
            self._start_nginx(folder, binary)
        except BaseException:
            self.stop()
            raise
        # The load generator reads this pid's CPU and memory: the first process's.
        self.process = self.products[0].process

    def _start_nginx(self, folder: Path, binary: str) -> None:
        prefix = folder / "nginx"
        prefix.mkdir()
        port = free_port()
        servers = "\n        ".join(f"server 127.0.0.1:{p.port};" for p in self.products)
        config = prefix / "nginx.conf"
        config.write_text(NGINX_CONF.format(
            user="user root;" if os.geteuid() == 0 else "", prefix=prefix, port=port,
            servers=servers))
        self.nginx = subprocess.Popen(
            pinned(0, [binary, "-c", str(config), "-p", str(prefix), "-e",
                       str(prefix / "error.log")]),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=open_files)
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while True:
            try:
                if requests.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if self.nginx.poll() is not None or time.monotonic() > deadline:
                log = prefix / "error.log"
                raise SystemExit("nginx did not start: "
                                 + (log.read_text()[-2000:] if log.exists() else ""))
            time.sleep(0.1)

    def stop(self) -> None:
        try:
            if self.nginx is not None and self.nginx.poll() is None:
                self.nginx.send_signal(signal.SIGQUIT)
                try:
                    self.nginx.wait(10)
                except subprocess.TimeoutExpired:
                    self.nginx.kill()
                    self.nginx.wait(10)
            for product in self.products:
                product.stop()
        finally:
            drop_database(self.database)


def loadgen(url: str, call: dict[str, str], args: list[str], quick: bool, folder: Path,
            server_pid: int | None = None) -> dict[str, Any]:
    out = folder / f"loadgen-{time.monotonic_ns()}.json"
    command = ["node", str(LOADGEN), "--url", url, "--widget-token", call["widget"],
               "--host-token", call["host"], "--json", str(out), *args]
    if call.get("notice_hash"):
        command += ["--notice-hash", call["notice_hash"]]
    if quick:
        command.append("--quick")
    if server_pid is not None:
        command += ["--server-pid", str(server_pid)]
    done = subprocess.run(pinned(1, command), capture_output=True, text=True, timeout=1800,
                          preexec_fn=open_files, check=False)
    if not out.exists():
        raise SystemExit(f"the load generator failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(out.read_text())
    result["exit_status"] = done.returncode
    return result


def check_ledger(product: Product, call_id: str, acked_file: Path) -> dict[str, Any]:
    """Every decision the product acknowledged is in its ledger, by event_id, exactly once,
    and the chain verifies. No file of acknowledgements, or an empty one, fails."""
    if not acked_file.exists():
        return {"passed": False, "why": "the load generator wrote no file of acknowledgements"}
    acked = [line for line in acked_file.read_text().split() if line]
    stored = Counter(product.stored_decision_ids(call_id))
    verify = product.cli("verify-ledger", "--call", call_id)
    missing = [event_id for event_id in acked if stored[event_id] == 0]
    repeated = [event_id for event_id in acked if stored[event_id] > 1]
    check: dict[str, Any] = {
        "acked": len(acked), "acked_distinct": len(set(acked)), "stored": sum(stored.values()),
        "missing": len(missing), "missing_sample": missing[:5],
        "duplicates": len(repeated), "duplicates_sample": repeated[:5],
        # Stored but never acknowledged (e.g. an ack lost on the way): reported, not a failure.
        "stored_not_acked": len(set(stored) - set(acked)),
        "ledger_verifies": verify.returncode == 0}
    why = [reason for reason, bad in (
        ("nothing was acknowledged", not acked),
        ("an event_id was acknowledged twice", len(acked) != len(set(acked))),
        ("acknowledged decisions are missing from the ledger", missing),
        ("acknowledged decisions are stored more than once", repeated),
        ("the ledger does not verify", not check["ledger_verifies"])) if bad]
    check["passed"] = not why
    if why:
        check["why"] = "; ".join(why)
    return check


def sqlite_limit(folder: Path, seconds: float) -> float:
    """Commits a second from a plain Python loop: WAL, synchronous=FULL, one row each."""
    conn = sqlite3.connect(folder / "limit.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    count, end = 0, time.monotonic() + seconds
    started = time.monotonic()
    while time.monotonic() < end:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (v) VALUES (?)", ("x" * 200,))
        conn.execute("COMMIT")
        count += 1
    rate = count / (time.monotonic() - started)
    conn.close()
    return rate


def dig(result: dict[str, Any], path: str) -> float | None:
    value: Any = result
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return float(value) if isinstance(value, int | float) else None


def run_side(name: str, spec: dict[str, Any], side: str, quick: bool, folder: Path,
             overrides: dict[str, str]) -> dict[str, Any]:
    """One scenario against one server (a fresh one), with its checks."""
    folder.mkdir()
    before = settle(longest=5.0 if quick else 45.0)
    meter = CpuMeter()
    server: Product | Reference | OnPostgres
    if side == "product":
        server = Product(folder, overrides)
    elif side == "reference":
        server = Reference(folder)
    elif side == "pg-one":
        server = OnPostgres(folder, overrides)
    else:  # pg-two-nginx
        server = Cluster(folder, overrides)
    try:
        call = server.new_call()
        args = ["--scenario", spec["scenario"], "--client", spec["client"], *spec["args"],
                *([] if quick else spec.get("full_args", []))]
        acked = folder / "acked.txt"
        if spec.get("processor"):
            args += ["--purpose", spec["processor"], "--processor-token",
                     server.processor_token(call["id"], spec["processor"])]
        if spec.get("ledger"):
            args += ["--acked-file", str(acked)]
        result = loadgen(server.url, call, args, quick, folder, server.process.pid)
        if spec.get("ledger") and isinstance(server, Product | OnPostgres):
            product = server if isinstance(server, Product) else server.product
            result["ledger_check"] = check_ledger(product, call["id"], acked)
    finally:
        server.stop()
    result["settle"] = before
    result["machine"] = meter.stop()
    problems = list(result.get("health", {}).get("failed", ["the loadgen reported no health"]))
    if result["exit_status"] != 0:
        problems.append(f"the load generator exited with status {result['exit_status']}")
    check = result.get("ledger_check")
    if check and not check["passed"]:
        problems.append(f"ledger check: {check['why']}")
    result["problems"] = problems
    print(f"  {name} {side}: {'ok' if not problems else 'FAILED: ' + '; '.join(problems)}",
          file=sys.stderr)
    return result


def run_scenario(name: str, spec: dict[str, Any], quick: bool, work: Path, repeat: int,
                 overrides: dict[str, str]) -> dict[str, Any]:
    """Runs the scenario `repeat` times against a fresh product and a fresh reference each."""
    runs = []
    for index in range(repeat):
        runs.append({label: run_side(name, spec, side, quick, work / f"{name}-{index}-{side}",
                                     overrides)
                     for label, side in zip(("product", "reference"), sides(spec),
                                            strict=True)})
    return {"scenario": spec["scenario"], "client": spec["client"], "runs": runs,
            "sides": dict(zip(("product", "reference"), sides(spec), strict=True)),
            "figures": figures(spec, runs)}


def sides(spec: dict[str, Any]) -> tuple[str, str]:
    """What runs in the product and the reference columns: the product against the
    reference, or (S7) two processes behind nginx against one, both on PostgreSQL."""
    chosen: tuple[str, str] = spec.get("sides", ("product", "reference"))
    return chosen


def figures(spec: dict[str, Any], runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per figure: the median over the runs for each server, and the median of the per-run
    ratios (each ratio taken within one run, product and reference minutes apart)."""
    out: dict[str, dict[str, Any]] = {}
    for path, label, higher in spec["figures"]:
        mine = [dig(run["product"], path) for run in runs]
        ref = [dig(run["reference"], path) for run in runs]
        ratios = [(r / m if higher else m / r) for m, r in zip(mine, ref, strict=True)
                  if m and r and m > 0 and r > 0]
        out[label] = {"path": path, "product": _median(mine), "reference": _median(ref),
                      "ratio": _median(ratios), "runs": len(runs),
                      "product_runs": mine, "reference_runs": ref}
    return out


def _median(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def table(results: dict[str, Any], limit: float) -> str:
    rows = [("figure", "product", "reference", "ratio", "other CPU % (p/r)", "healthy")]
    for name in SCENARIOS:
        if name not in results or "figures" not in results[name]:
            continue
        runs = results[name]["runs"]
        other = "/".join(
            _fmt(_median([dig(run[side], "cpu.other_cpu_pct") for run in runs]))
            for side in ("product", "reference"))
        healthy = "yes" if not any(run[side]["problems"] for run in runs
                                   for side in ("product", "reference")) else "NO"
        for label, figure in results[name]["figures"].items():
            ratio = "–" if figure["ratio"] is None else f"{figure['ratio']:.2f}x"
            rows.append((label, _fmt(figure["product"]), _fmt(figure["reference"]), ratio,
                         other, healthy))
    rows.append(("raw SQLite commits/s (WAL, synchronous=FULL), the durability limit",
                 _fmt(limit), "", "", "", ""))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines) + (
        "\n(ratio: how many times the reference is better, median of the per-run ratios; other"
        "\nCPU: % of one core used by other processes during the measured phase, product/"
        "reference;\nS7: both columns are the product on PostgreSQL, two processes behind nginx"
        " (product column)\nagainst one (reference column), all on CPU 0; its ratio is one"
        " process / two)")


def _fmt(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.2f}"


def code_version() -> dict[str, Any]:
    """The commit measured, and whether the tree differed from it (then the figures are not
    that commit's). Results files and untracked files do not count."""
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              check=False)
        return done.stdout.rstrip("\n")

    changed = [line for line in git("status", "--porcelain", "--untracked-files=no").splitlines()
               if not line[3:].startswith("bench/results/")]
    return {"commit": git("rev-parse", "HEAD"), "branch": git("rev-parse", "--abbrev-ref", "HEAD"),
            "dirty": bool(changed), "changed_files": [line[3:] for line in changed],
            "subject": git("log", "-1", "--format=%s")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small, seconds-long runs (CI)")
    parser.add_argument("--only", nargs="*", choices=list(SCENARIOS), help="these scenarios")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="run each scenario N times (fresh servers each); the table gives "
                             "medians")
    parser.add_argument("--json", type=Path, help="where to write the results")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="product setting for an experiment, e.g. "
                             "WIDGET_SERVER_HOST_BATCH_WINDOW=0")
    options = parser.parse_args()
    if options.repeat < 1:
        parser.error("--repeat must be at least 1")
    if not (BENCH / "node_modules").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=BENCH, check=True)
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"), "code": code_version(),
        "command": " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
        "quick": options.quick, "repeat": options.repeat,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(), "node": node_version()},
        "product_settings": options.env}
    work = Path(tempfile.mkdtemp(prefix="widget-bench-"))
    results: dict[str, Any] = {}
    failures: list[str] = []
    limit = 0.0
    overrides = dict(item.split("=", 1) for item in options.env)
    try:
        limit = sqlite_limit(work, 1.0 if options.quick else 5.0)
        for name in options.only or SCENARIOS:
            print(f"scenario {name}", file=sys.stderr)
            results[name] = run_scenario(name, SCENARIOS[name], options.quick, work,
                                         options.repeat, overrides)
            for index, run in enumerate(results[name]["runs"]):
                for side in ("product", "reference"):
                    for problem in run[side]["problems"]:
                        which = results[name]["sides"][side]
                        failures.append(f"{name} {which} (run {index + 1}): {problem}")
    except BaseException as err:  # keep what was measured; say why it stopped
        failures.append(f"the run stopped: {type(err).__name__}: {err}")
        if not isinstance(err, Exception):
            raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
        summary = table(results, limit)
        print(summary)
        report.update({"finished": datetime.now(UTC).isoformat(timespec="seconds"),
                       "sqlite_full_commits_per_s": limit, "scenarios": results,
                       "failures": failures, "table": summary})
        target = options.json or BENCH / "results" / ("quick.json" if options.quick
                                                       else "latest.json")
        target.write_text(json.dumps(report, indent=2) + "\n")
        for failure in failures:
            print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


def node_version() -> str:
    done = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
