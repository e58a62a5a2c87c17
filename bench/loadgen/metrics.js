"use strict";
// Measuring helpers: latency summaries, and CPU / resident memory of a process read from
// /proc (the server under test, by PID) or of the load generator itself.

const fs = require("node:fs");
const { execFileSync } = require("node:child_process");
const { performance, monitorEventLoopDelay } = require("node:perf_hooks");

const now = () => performance.now();

function round(x, digits = 3) {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

// Nearest-rank percentiles of a list of milliseconds.
function summarize(samples) {
  const n = samples.length;
  if (n === 0) return { n: 0, p50: null, p90: null, p99: null, p999: null, max: null, mean: null };
  const sorted = Float64Array.from(samples).sort();
  const at = (q) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))];
  let sum = 0;
  for (let i = 0; i < n; i += 1) sum += sorted[i];
  return {
    n,
    p50: round(at(0.5)),
    p90: round(at(0.9)),
    p99: round(at(0.99)),
    p999: round(at(0.999)),
    max: round(sorted[n - 1]),
    mean: round(sum / n),
  };
}

function median(values) {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

let clockTicks = null;
function ticksPerSecond() {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
    } catch (_) {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

// VmRSS of a process in KB, or null when it cannot be read.
function rssKb(pid) {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : null;
  } catch (_) {
    return null;
  }
}

// User + system CPU seconds a process has used, or null.
function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch (_) {
    return null;
  }
}

// Busy CPU seconds of the whole machine (all cores), from /proc/stat, or null.
function machineBusySeconds() {
  try {
    const line = fs.readFileSync("/proc/stat", "utf8").split("\n", 1)[0];
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return (user + nice + system + irq + softirq + steal) / ticksPerSecond();
  } catch (_) {
    return null;
  }
}

// Measures, between start() and stop(), the CPU share (percent of one core) of the load
// generator and, when a PID is given, of the server; and the load generator's own event
// loop delay: when that is high, the client, not the server, adds the latency. Also the
// CPU used by every other process on the machine (other_cpu_pct, percent of one core):
// the machine is shared, and a busy neighbour explains an outlier run.
class CpuWindow {
  constructor(serverPid) {
    this.serverPid = serverPid;
  }

  start() {
    this.t0 = now();
    this.self0 = process.cpuUsage();
    this.server0 = this.serverPid ? cpuSeconds(this.serverPid) : null;
    this.machine0 = machineBusySeconds();
    this.delay = monitorEventLoopDelay({ resolution: 1 });
    this.delay.enable();
    return this;
  }

  stop() {
    const wall = (now() - this.t0) / 1000;
    const self = process.cpuUsage(this.self0);
    const machine1 = machineBusySeconds();
    const out = {
      wall_s: round(wall),
      loadgen_cpu_pct: round(((self.user + self.system) / 1e6 / wall) * 100, 1),
    };
    this.delay.disable();
    out.loadgen_loop_delay_ms = {
      p50: round(this.delay.percentile(50) / 1e6),
      p99: round(this.delay.percentile(99) / 1e6),
      max: round(this.delay.max / 1e6),
    };
    if (this.serverPid) {
      const server1 = cpuSeconds(this.serverPid);
      out.server_cpu_pct =
        server1 === null || this.server0 === null ? null : round(((server1 - this.server0) / wall) * 100, 1);
    }
    if (machine1 !== null && this.machine0 !== null) {
      const others = machine1 - this.machine0 - (self.user + self.system) / 1e6 -
        (this.serverPid ? (out.server_cpu_pct || 0) * wall / 100 : 0);
      out.other_cpu_pct = round(Math.max(0, (others / wall) * 100), 1);
    }
    return out;
  }
}

module.exports = { now, round, summarize, median, rssKb, cpuSeconds, CpuWindow };
