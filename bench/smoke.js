#!/usr/bin/env node
"use strict";
// Smoke test of the Node side (npm test): start the reference server, run every scenario in
// --quick mode against it, and check the invariants a healthy run must show. Seconds long.
// Exit status 0 when every scenario passes.

const { spawn, execFileSync } = require("node:child_process");
const path = require("node:path");

const LOADGEN = path.join(__dirname, "loadgen", "loadgen.js");
const SERVER = path.join(__dirname, "reference", "server.js");

const CHECKS = {
  S1: (r) => r.throughput.acked_in_window > 0 && r.throughput.errors_total === 0 &&
    r.throughput.unacked_at_end === 0 && r.throughput.hosts_missing_decisions.every((n) => n === 0),
  S2: (r) => r.latency.host_ms.n > 0 && r.latency.never_received === 0 && r.latency.errors === 0,
  S3: (r) => r.memory.still_connected === r.memory.connected && r.memory.probe_acked === r.memory.probe_sent &&
    r.memory.kb_per_connection > 0,
  S4: (r) => r.burst.acked === r.burst.participants && r.burst.host_converged,
  S5: (r) => r.snapshot.roster_participants.every((n) => n === r.snapshot.joined) && r.snapshot.errors.length === 0,
};

function startServer() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVER, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
    const timer = setTimeout(() => reject(new Error("reference server did not start")), 10000);
    child.stdout.on("data", (chunk) => {
      const m = /READY (\d+)/.exec(chunk.toString());
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.on("exit", (code) => reject(new Error(`reference server exited (${code})`)));
  });
}

function runScenario(port, pid, scenario) {
  const token = `smoke-${scenario}-${Date.now()}`; // a fresh call per scenario
  const out = execFileSync(process.execPath, [
    LOADGEN, "--url", `http://127.0.0.1:${port}`, "--scenario", scenario, "--quick",
    "--widget-token", token, "--host-token", token, "--server-pid", String(pid),
  ], { timeout: 120000, stdio: ["ignore", "pipe", "ignore"] }).toString();
  const lines = out.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

async function main() {
  const { child, port } = await startServer();
  let failed = 0;
  try {
    for (const scenario of Object.keys(CHECKS)) {
      let verdict;
      try {
        const result = runScenario(port, child.pid, scenario);
        verdict = result.ok && CHECKS[scenario](result) ? "ok" : "FAILED " + JSON.stringify(result);
      } catch (err) {
        verdict = "FAILED " + err.message;
      }
      if (verdict !== "ok") failed += 1;
      process.stdout.write(`${scenario} ${verdict}\n`);
    }
  } finally {
    child.kill("SIGTERM");
  }
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  process.stderr.write(err.message + "\n");
  process.exit(1);
});
