"""Where the product's memory per joined idle participant goes.

    .venv/bin/python bench/memory.py                        # socket.io-client, as a browser
    .venv/bin/python bench/memory.py --client raw           # the bench's raw websocket client
    .venv/bin/python bench/memory.py --transports websocket --deflate off   # one cost at a time

Starts the product (`widget-server serve`, fresh embedded database) with tracemalloc on, takes
a snapshot, connects and joins N participants with the load generator's S3 (idle: no decision
until the hold ends), takes a second snapshot while they hold, and prints the server's RSS
growth and the Python allocations per participant, by module and by line. tracemalloc slows
the server; the RSS figure of a plain run is `bench/run.py --only S3 S3-sio`.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from run import LOADGEN, PYTHON, Product, open_files, pinned

BENCH = Path(__file__).resolve().parent


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise SystemExit("no VmRSS")


def snapshot(product: Product, base: Path, index: int) -> tracemalloc.Snapshot:
    product.process.send_signal(signal.SIGUSR1)
    target = Path(f"{base}.{index}")
    deadline = time.monotonic() + 300
    while not target.exists():
        if time.monotonic() > deadline or product.process.poll() is not None:
            raise SystemExit("the server wrote no snapshot")
        time.sleep(0.2)
    return tracemalloc.Snapshot.load(str(target))


def short(filename: str) -> str:
    for marker in ("site-packages/", "/lib/python3"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename.replace(str(BENCH.parent) + "/", "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connected", type=int, default=2000)
    parser.add_argument("--client", choices=["raw", "sio"], default="sio")
    parser.add_argument("--transports", default="polling,websocket")
    parser.add_argument("--deflate", choices=["on", "off"], default="on")
    parser.add_argument("--frames", type=int, default=1, help="tracemalloc frames kept")
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="widget-memory-"))
    base = folder / "snapshot"
    overrides = {"BENCH_SNAPSHOT": str(base), **dict(e.split("=", 1) for e in options.env)}
    product = Product(folder, overrides, launcher=[
        PYTHON, "-X", f"tracemalloc={options.frames}", str(BENCH / "tracemalloc_serve.py")])
    try:
        call = product.new_call()
        time.sleep(1)
        before = snapshot(product, base, 1)
        rss_before = rss_kb(product.process.pid)
        command = ["node", str(LOADGEN), "--url", product.url, "--scenario", "S3",
                   "--widget-token", call["widget"], "--host-token", call["host"],
                   "--notice-hash", call["notice_hash"], "--client", options.client,
                   "--transports", options.transports, "--deflate", options.deflate,
                   "--connected", str(options.connected), "--hold", "30", "--probe", "0",
                   "--connect-timeout", "60", "--ack-timeout", "60",
                   "--server-pid", str(product.process.pid)]
        loadgen = subprocess.Popen(pinned(1, command), stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, text=True, preexec_fn=open_files)
        assert loadgen.stdout is not None
        line = loadgen.stdout.readline()
        if not line.startswith("HOLDING"):
            raise SystemExit(f"the load generator did not hold: {line!r}")
        joined = int(line.split()[1])
        time.sleep(5)  # polling clients upgrade after connecting; let every upgrade finish
        rss_holding = rss_kb(product.process.pid)
        holding = snapshot(product, base, 2)
        loadgen.send_signal(signal.SIGTERM)
        loadgen.wait(60)
    finally:
        product.stop()
    report = summarise(before, holding, joined, rss_before, rss_holding, options)
    print(report["text"])
    if options.json:
        options.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


def summarise(before: tracemalloc.Snapshot, holding: tracemalloc.Snapshot, joined: int,
              rss_before: int, rss_holding: int, options: argparse.Namespace) -> dict[str, Any]:
    def per_conn(size: float) -> float:
        return size / 1024 / joined

    traced = sum(s.size for s in holding.statistics("filename")) - sum(
        s.size for s in before.statistics("filename"))
    by_file = holding.compare_to(before, "filename")
    by_line = holding.compare_to(before, "lineno")
    client = (options.client if options.client == "raw" else
              f"sio, transports {options.transports}, deflate {options.deflate}")
    lines = [f"{joined} participants joined ({client})",
             f"RSS: {rss_before:,} → {rss_holding:,} KB: "
             f"{(rss_holding - rss_before) / joined:.1f} KB per participant (under tracemalloc)",
             f"Python allocations (tracemalloc): {per_conn(traced):.1f} KB per participant",
             "", "by module (KB per participant, allocations per participant):"]
    for stat in by_file[: options.top]:
        if stat.size_diff <= 0:
            continue
        frame = stat.traceback[0]
        lines.append(f"  {per_conn(stat.size_diff):7.2f}  {stat.count_diff / joined:7.1f}  "
                     f"{short(frame.filename)}")
    lines += ["", "by line:"]
    for stat in by_line[: options.top]:
        if stat.size_diff <= 0:
            continue
        frame = stat.traceback[0]
        lines.append(f"  {per_conn(stat.size_diff):7.2f}  {stat.count_diff / joined:7.1f}  "
                     f"{short(frame.filename)}:{frame.lineno}")
    return {"joined": joined, "client": options.client, "transports": options.transports,
            "deflate": options.deflate, "rss_kb_before": rss_before,
            "rss_kb_holding": rss_holding,
            "rss_kb_per_participant": (rss_holding - rss_before) / joined,
            "traced_kb_per_participant": per_conn(traced),
            "by_line": [{"where": f"{short(s.traceback[0].filename)}:{s.traceback[0].lineno}",
                         "kb_per_participant": per_conn(s.size_diff),
                         "allocations_per_participant": s.count_diff / joined}
                        for s in by_line[: options.top]],
            "text": "\n".join(lines)}


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
