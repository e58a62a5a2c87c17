"use strict";
// S3: many idle participants. Connect and join them with a bounded number of handshakes
// in flight, print "HOLDING <n>" on stdout, hold, then probe that they are still alive.
// With --server-pid the server's VmRSS is read before connecting and during the hold.

const { openParticipants, sleep, within } = require("../fleet");
const { now, round, rssKb, CpuWindow } = require("../metrics");

async function run(opts, result, log, deadline) {
  const pid = opts.serverPid;
  const rssBefore = pid ? rssKb(pid) : null;
  const { participants, stats } = await openParticipants(opts, opts.connected, deadline, log);
  result.connect = { participants: stats };
  const connected = participants.length;
  process.stdout.write(`HOLDING ${connected}\n`);
  log(`S3: ${connected} joined in ${round(stats.seconds, 1)} s; holding ${opts.hold} s`);

  const samples = [];
  const cpu = new CpuWindow(pid).start();
  const holdEnd = now() + opts.hold * 1000;
  while (now() < holdEnd) {
    await sleep(Math.min(1000, Math.max(0, holdEnd - now())));
    if (pid) samples.push(rssKb(pid));
  }
  const usage = cpu.stop();

  // Liveness probe: a few decisions spread over the fleet must still be acknowledged.
  const probeCount = Math.min(opts.probe, connected);
  const step = probeCount ? connected / probeCount : 1;
  const probes = [];
  for (let k = 0; k < probeCount; k += 1) {
    const p = participants[Math.floor(k * step)];
    probes.push(within(p.decide(opts.purpose, p.nextChoice()).acked, opts.ackTimeout * 1000, null));
  }
  const acks = await Promise.all(probes);

  const rssHold = samples.length ? samples[samples.length - 1] : null;
  const valid = samples.filter((x) => x !== null);
  result.memory = {
    connected,
    still_connected: connected - stats.disconnected,
    connect_seconds: round(stats.seconds),
    server_rss_kb_before: rssBefore,
    server_rss_kb_holding: rssHold,
    server_rss_kb_max: valid.length ? Math.max(...valid) : null,
    kb_per_connection:
      rssHold !== null && rssBefore !== null && connected ? round((rssHold - rssBefore) / connected, 2) : null,
    probe_sent: probeCount,
    probe_acked: acks.filter((a) => a && a.ok).length,
    loadgen_rss_kb: Math.round(process.memoryUsage().rss / 1024),
  };
  result.cpu = usage;
}

module.exports = { run };
