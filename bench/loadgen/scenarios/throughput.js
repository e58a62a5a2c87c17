"use strict";
// S1: closed loop. Every participant keeps exactly one decide outstanding; count the
// acknowledgements that arrive in the measured window.

const fs = require("node:fs");
const { openParticipants, openHosts, sleep, waitUntil } = require("../fleet");
const { now, round, summarize, CpuWindow } = require("../metrics");

async function run(opts, result, log, deadline) {
  const { hosts, stats: hostStats } = await openHosts(opts, opts.hosts);
  result.connect = { hosts: hostStats };
  const { participants, stats } = await openParticipants(opts, opts.participants, deadline, log);
  result.connect.participants = stats;
  if (participants.length === 0 || hosts.length === 0) throw new Error("nothing connected");

  const acked = []; // event ids acknowledged with ok:true, whole run
  const errorCodes = {};
  const ackMs = [];
  let inWindow = 0;
  let errorsInWindow = 0;
  let errors = 0;
  let outstanding = 0;
  let stopping = false;
  let windowStart = Infinity;
  let windowEnd = Infinity;

  const loop = (p) => {
    if (stopping) return;
    const t = now();
    const { eventId, acked: ackPromise } = p.decide(opts.purpose, p.nextChoice());
    outstanding += 1;
    ackPromise.then((ack) => {
      outstanding -= 1;
      const at = now();
      const measured = at >= windowStart && at < windowEnd;
      if (ack && ack.ok) {
        acked.push(eventId);
        if (measured) {
          inWindow += 1;
          ackMs.push(at - t);
        }
      } else {
        errors += 1;
        if (measured) errorsInWindow += 1;
        const code = (ack && ack.error && ack.error.code) || "malformed_ack";
        errorCodes[code] = (errorCodes[code] || 0) + 1;
      }
      loop(p);
    });
  };

  const hostUpdates0 = () => hosts.reduce((s, h) => s + h.updates, 0);
  log(`S1: ${participants.length} participants, ${hosts.length} host(s); warm-up ${opts.warmup} s`);
  const start = now();
  windowStart = start + opts.warmup * 1000;
  windowEnd = windowStart + opts.duration * 1000;
  for (const p of participants) loop(p);
  await sleep(opts.warmup * 1000);
  const hostBefore = hostUpdates0();
  const cpu = new CpuWindow(opts.serverPid).start();
  log(`S1: measuring ${opts.duration} s`);
  await sleep(Math.max(0, windowEnd - now()));
  const usage = cpu.stop();
  const hostDuring = hostUpdates0() - hostBefore;
  stopping = true;

  const drained = await waitUntil(() => outstanding === 0, now() + opts.drain * 1000);
  // Give the hosts a moment to receive the updates of the last acknowledgements.
  await waitUntil(
    () => hosts.every((h) => h.decisionUpdates >= acked.length),
    now() + Math.min(opts.drain, 2) * 1000,
  );

  if (opts.ackedFile) fs.writeFileSync(opts.ackedFile, acked.join("\n") + (acked.length ? "\n" : ""));
  result.throughput = {
    decisions_per_s: round(inWindow / opts.duration, 1),
    acked_in_window: inWindow,
    window_s: opts.duration,
    errors: errorsInWindow,
    errors_total: errors,
    error_codes: errorCodes,
    acked_total: acked.length,
    acked_file: opts.ackedFile || null,
    unacked_at_end: outstanding,
    drained,
    ack_ms: summarize(ackMs),
    host_updates_per_s: round(hostDuring / usage.wall_s, 1),
    hosts_missing_decisions: hosts.map((h) => Math.max(0, acked.length - h.decisionUpdates)),
  };
  result.hosts = hosts.map((h) => h.toJSON());
  result.cpu = usage;
}

module.exports = { run };
