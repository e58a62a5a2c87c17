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
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
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

# Each scenario: loadgen arguments, and which figures go in the table (path in the result,
# label, whether higher is better).
SCENARIOS: dict[str, dict[str, Any]] = {
    "S1-1host": {"args": ["--scenario", "S1", "--hosts", "1"], "check": True,
                 "figures": [("throughput.decisions_per_s", "S1 decisions/s acked, 1 host", True)]},
    "S1-10hosts": {"args": ["--scenario", "S1", "--hosts", "10"], "check": True,
                   "figures": [("throughput.decisions_per_s", "S1 decisions/s acked, 10 hosts",
                                True)]},
    "S2": {"args": ["--scenario", "S2"],
           "figures": [("latency.host_ms.p50", "S2 emit→host p50 ms", False),
                       ("latency.host_ms.p99", "S2 emit→host p99 ms", False),
                       ("latency.host_ms.max", "S2 emit→host max ms", False)]},
    "S3": {"args": ["--scenario", "S3"], "pid": True,
           "figures": [("memory.kb_per_connection", "S3 KB per idle connection", False)]},
    "S4": {"args": ["--scenario", "S4"], "check": True,
           "figures": [("burst.last_ack_ms", "S4 ms to the last ack (join+decide burst)", False),
                       ("burst.converged_after_last_ack_ms",
                        "S4 ms host converged after the last ack", False)]},
    "S5": {"args": ["--scenario", "S5"],
           "figures": [("snapshot.median_ms", "S5 host roster, median ms", False),
                       ("snapshot.max_ms", "S5 host roster, max ms", False)]},
}


def pinned(cpu: int, command: list[str]) -> list[str]:
    return ["taskset", "-c", str(cpu), *command] if shutil.which("taskset") else command


def open_files() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Product:
    """`widget-server serve` on a fresh embedded database, as a user runs it."""

    def __init__(self, folder: Path, overrides: dict[str, str] | None = None) -> None:
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
        self.log = open(folder / "product.log", "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            pinned(0, [PYTHON, "-m", "widget_server.entry", "serve", "--port", str(self.port)]),
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
        made = self.cli("create-org", "Bench", "--origin", "https://bench.example", "--json")
        self.key = json.loads(made.stdout)["api_key"]

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
        return {"id": call["id"], "widget": call["widget"]["token"],
                "host": call["host"]["token"]}

    def stored_event_ids(self, call_id: str) -> list[str]:
        ids: list[str] = []
        after: str | None = "0"
        while after is not None:
            page = self.api("GET", f"/api/v1/calls/{call_id}/decisions?after={after}&limit=1000")
            ids += [item["event_id"] for item in page["items"]]
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
        self.process = subprocess.Popen(pinned(0, ["node", str(REFERENCE), "--port", "0"]),
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
        return {"id": f"ref-{self.calls}", "widget": f"ref-{self.calls}",
                "host": f"ref-{self.calls}"}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(15)
        self.log.close()


def loadgen(url: str, call: dict[str, str], args: list[str], quick: bool, folder: Path,
            server_pid: int | None = None) -> dict[str, Any]:
    out = folder / f"loadgen-{time.monotonic_ns()}.json"
    command = ["node", str(LOADGEN), "--url", url, "--widget-token", call["widget"],
               "--host-token", call["host"], "--json", str(out), *args]
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
    """Every decision the product acknowledged is stored exactly once; the chain verifies."""
    acked = [line for line in acked_file.read_text().split() if line] if acked_file.exists() else []
    stored = product.stored_event_ids(call_id)
    verify = product.cli("verify-ledger", "--call", call_id)
    return {"acked": len(acked), "stored": len(stored),
            "missing": len(set(acked) - set(stored)),
            "duplicates": len(stored) - len(set(stored)),
            "ledger_verifies": verify.returncode == 0}


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


def run_scenario(name: str, spec: dict[str, Any], quick: bool, work: Path,
                 overrides: dict[str, str]) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    for side in ("product", "reference"):
        folder = work / f"{name}-{side}"
        folder.mkdir()
        server: Product | Reference = (Product(folder, overrides) if side == "product"
                                       else Reference(folder))
        try:
            call = server.new_call()
            args = list(spec["args"])
            acked = folder / "acked.txt"
            if spec.get("check") and side == "product" and spec["args"][1] == "S1":
                args += ["--acked-file", str(acked)]
            pid = server.process.pid
            result = loadgen(server.url, call, args, quick, folder, pid)
            if spec.get("check") and isinstance(server, Product):
                result["ledger_check"] = check_ledger(server, call["id"], acked)
                if spec["args"][1] == "S4":  # one granted decision per acknowledged participant
                    check = result["ledger_check"]
                    check["acked"] = dig(result, "burst.acked") or 0
                    check["missing"] = max(0, int(check["acked"]) - check["stored"])
            entry[side] = result
        finally:
            server.stop()
        print(f"  {name} {side}: done", file=sys.stderr)
    return entry


def table(results: dict[str, Any], limit: float) -> str:
    rows = [("figure", "product", "reference", "ratio")]
    for name, spec in SCENARIOS.items():
        if name not in results:
            continue
        for path, label, higher in spec["figures"]:
            mine = dig(results[name]["product"], path)
            ref = dig(results[name]["reference"], path)
            ratio = "–"
            if mine and ref and mine > 0 and ref > 0:
                ratio = f"{(ref / mine) if higher else (mine / ref):.2f}x"
            rows.append((label, _fmt(mine), _fmt(ref), ratio))
    rows.append(("raw SQLite commits/s (WAL, synchronous=FULL), the durability limit",
                 _fmt(limit), "", ""))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines) + "\n(ratio: how many times the reference is better)"


def _fmt(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small, seconds-long runs (CI)")
    parser.add_argument("--only", nargs="*", choices=list(SCENARIOS), help="these scenarios")
    parser.add_argument("--json", type=Path, help="where to write the results")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="product setting for an experiment, e.g. "
                             "WIDGET_SERVER_HOST_BATCH_WINDOW=0")
    options = parser.parse_args()
    if not (BENCH / "node_modules").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=BENCH, check=True)
    work = Path(tempfile.mkdtemp(prefix="widget-bench-"))
    results: dict[str, Any] = {}
    failures: list[str] = []
    try:
        limit = sqlite_limit(work, 1.0 if options.quick else 5.0)
        for name in options.only or SCENARIOS:
            print(f"scenario {name}", file=sys.stderr)
            overrides = dict(item.split("=", 1) for item in options.env)
            results[name] = run_scenario(name, SCENARIOS[name], options.quick, work, overrides)
            for side in ("product", "reference"):
                if not results[name][side].get("ok"):
                    failures.append(f"{name} {side}: {results[name][side].get('error')}")
            check = results[name]["product"].get("ledger_check")
            if check and (check["missing"] or check["duplicates"] or not check["ledger_verifies"]):
                failures.append(f"{name}: ledger check failed {check}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary = table(results, limit)
    print(summary)
    report = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "quick": options.quick,
              "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                          "python": platform.python_version()},
              "product_settings": options.env, "sqlite_full_commits_per_s": limit,
              "scenarios": results, "table": summary}
    target = options.json or BENCH / "results" / ("quick.json" if options.quick else "latest.json")
    target.write_text(json.dumps(report, indent=2))
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
