#!/usr/bin/env node
"use strict";
// One load generator for both servers (the product and the reference). Runs one scenario,
// prints its result as one JSON line on stdout (the last line; S3 prints "HOLDING <n>"
// before it) and, with --json, writes the same object to a file. Progress goes to stderr.
//
// Exit status: 0 done, 1 the scenario failed (see "error"), 2 the overall --timeout hit
// (partial result printed), 64 bad usage. `health` says whether the run was healthy
// (loadgen/checks.js): a done run can still be unhealthy (errors, lost updates).

const fs = require("node:fs");
const { USAGE, UsageError, resolveOptions } = require("./options");
const { now, round, rssKb, cpuSeconds } = require("./metrics");
const { health } = require("./checks");

const SCENARIOS = {
  S1: require("./scenarios/throughput"),
  S2: require("./scenarios/latency"),
  S3: require("./scenarios/memory"),
  S4: require("./scenarios/burst"),
  S5: require("./scenarios/snapshot"),
  S6: require("./scenarios/plan"),
};

function publicParams(opts) {
  const { widgetToken, hostToken, processorToken, ...rest } = opts; // tokens stay out of result files
  return rest;
}

function finish(opts, result, status) {
  const text = JSON.stringify(result);
  if (opts.json) fs.writeFileSync(opts.json, JSON.stringify(result, null, 2) + "\n");
  process.stdout.write(text + "\n", () => process.exit(status));
}

async function main() {
  let opts;
  try {
    opts = resolveOptions(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write((err.message ? err.message + "\n" : "") + USAGE + "\n");
    process.exit(err.message ? 64 : 0);
  }
  const log = (msg) => process.stderr.write(`[loadgen ${opts.scenario}] ${msg}\n`);
  const started = now();
  const selfCpu0 = process.cpuUsage();
  const result = {
    scenario: opts.scenario,
    ok: false,
    timed_out: false,
    client: opts.client,
    quick: opts.quick,
    url: opts.url,
    started_at: new Date().toISOString(),
    params: publicParams(opts),
  };
  const stamp = () => {
    result.elapsed_s = round((now() - started) / 1000);
    const cpu = process.cpuUsage(selfCpu0);
    result.loadgen = {
      rss_kb: Math.round(process.memoryUsage().rss / 1024),
      cpu_s: round((cpu.user + cpu.system) / 1e6),
    };
    if (opts.serverPid) {
      result.server = { pid: opts.serverPid, rss_kb: rssKb(opts.serverPid), cpu_s: round(cpuSeconds(opts.serverPid)) };
    }
  };

  const deadline = started + opts.timeout * 1000;
  const watchdog = setTimeout(() => {
    result.timed_out = true;
    result.error = `overall timeout of ${opts.timeout} s`;
    stamp();
    result.health = health(result);
    finish(opts, result, 2);
  }, opts.timeout * 1000);

  try {
    await SCENARIOS[opts.scenario].run(opts, result, log, deadline);
    result.ok = true;
  } catch (err) {
    result.error = err.message;
  }
  clearTimeout(watchdog);
  stamp();
  result.health = health(result);
  finish(opts, result, result.ok ? 0 : 1);
}

main();
