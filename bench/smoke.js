#!/usr/bin/env node
"use strict";
// Smoke test of the Node side (npm test): start the reference server, run every scenario in
// --quick mode against it (raw client, then S1 and S3 with socket.io-client too), and check
// the invariants a healthy run must show (loadgen/checks.js). Seconds long.
// Exit status 0 when every scenario passes.

const { spawn, execFileSync } = require("node:child_process");
const path = require("node:path");

const LOADGEN = path.join(__dirname, "loadgen", "loadgen.js");
const SERVER = path.join(__dirname, "reference", "server.js");
// Every scenario with the raw client, then S1 and S3 with socket.io-client (as a browser).
const RUNS = [["S1", "raw"], ["S2", "raw"], ["S3", "raw"], ["S4", "raw"], ["S5", "raw"], ["S6", "raw"], ["S1", "sio"], ["S3", "sio"]];

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

function runScenario(port, pid, scenario, client) {
  const token = `smoke-${scenario}-${client}-${Date.now()}`; // a fresh call per scenario
  const out = execFileSync(process.execPath, [
    LOADGEN, "--url", `http://127.0.0.1:${port}`, "--scenario", scenario, "--quick", "--client", client,
    "--widget-token", token, "--host-token", token, "--processor-token", token, "--server-pid", String(pid),
  ], { timeout: 120000, stdio: ["ignore", "pipe", "ignore"] }).toString();
  const lines = out.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

async function main() {
  const { child, port } = await startServer();
  let failed = 0;
  try {
    for (const [scenario, client] of RUNS) {
      let verdict;
      try {
        // The loadgen applies loadgen/checks.js, the same checks bench/run.py reads.
        const result = runScenario(port, child.pid, scenario, client);
        verdict = result.health.healthy ? "ok" : `FAILED (${result.health.failed.join("; ")}) ` + JSON.stringify(result);
      } catch (err) {
        verdict = "FAILED " + err.message;
      }
      if (verdict !== "ok") failed += 1;
      process.stdout.write(`${scenario} ${client} ${verdict}\n`);
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
