"use strict";
// S4: join burst. One host watches; then every participant connects, joins and decides
// "granted" as fast as it can (all at once unless --inflight limits it). Measures the time
// to the last acknowledgement and until the host has seen a granted decision for every
// participant that was acknowledged.

const fs = require("node:fs");
const { ConnectStats, openHosts, openParticipant, pool, waitUntil, within } = require("../fleet");
const { now, round, summarize, CpuWindow } = require("../metrics");

async function run(opts, result, log, deadline) {
  const { hosts, stats: hostStats } = await openHosts(opts, 1);
  result.connect = { hosts: hostStats };
  if (hosts.length === 0) throw new Error("host did not connect");
  const host = hosts[0];

  const seenGranted = new Map(); // participant id -> first time the host saw it granted
  let summaryGrantedAt = null;
  let summaryGranted = 0;
  host.onUpdate((u, t) => {
    if (u.kind === "decision" && u.participant && u.participant.state) {
      if (u.participant.state[opts.purpose] === "granted" && !seenGranted.has(u.participant.id)) {
        seenGranted.set(u.participant.id, t);
      }
    }
    const tally = u.summary && u.summary.purposes && u.summary.purposes[opts.purpose];
    if (tally && Number.isFinite(tally.granted)) {
      summaryGranted = tally.granted;
      if (summaryGrantedAt === null && tally.granted >= opts.participants) summaryGrantedAt = t;
    }
  });

  const stats = new ConnectStats("participants");
  const decideMs = [];
  const ackedIds = []; // participant ids
  const ackedEvents = []; // their decisions' event ids (--acked-file)
  const ackedAt = [];
  let decideErrors = 0;
  log(`S4: ${opts.participants} participants, ${opts.inflight} in flight`);
  const cpu = new CpuWindow(opts.serverPid).start();
  const t0 = now();
  await pool(
    opts.participants,
    opts.inflight,
    async (i) => {
      const p = await openParticipant(opts, i + 1, stats);
      if (!p) return;
      const t = now();
      const decision = p.decide(opts.purpose, "granted");
      const ack = await within(decision.acked, opts.ackTimeout * 1000, null);
      if (ack && ack.ok) {
        const at = now();
        decideMs.push(at - t);
        ackedIds.push(p.id);
        ackedEvents.push(decision.eventId);
        ackedAt.push(at - t0);
      } else decideErrors += 1;
    },
    deadline,
    () => log(`S4: acked ${ackedIds.length}/${opts.participants}`),
  );
  stats.seconds = (now() - t0) / 1000;
  result.connect.participants = stats;
  result.cpu = cpu.stop();

  const allSeen = () => ackedIds.every((id) => seenGranted.has(id));
  const converged = await waitUntil(allSeen, now() + opts.drain * 1000);
  const lastAck = ackedAt.length ? Math.max(...ackedAt) : null;
  let lastSeen = null;
  for (const id of ackedIds) {
    const t = seenGranted.get(id);
    if (t !== undefined) lastSeen = Math.max(lastSeen === null ? 0 : lastSeen, t - t0);
  }
  if (opts.ackedFile) fs.writeFileSync(opts.ackedFile, ackedEvents.map((id) => id + "\n").join(""));
  result.burst = {
    participants: opts.participants,
    acked: ackedIds.length,
    decide_errors: decideErrors,
    last_ack_ms: round(lastAck, 1),
    host_converged: converged,
    host_converged_ms: converged ? round(lastSeen, 1) : null,
    converged_after_last_ack_ms: converged && lastAck !== null ? round(lastSeen - lastAck, 1) : null,
    host_missing: ackedIds.filter((id) => !seenGranted.has(id)).length,
    host_summary_granted: summaryGranted,
    host_summary_reached_ms: summaryGrantedAt === null ? null : round(summaryGrantedAt - t0, 1),
    decide_ms: summarize(decideMs),
    acked_file: opts.ackedFile || null,
  };
  result.hosts = [host.toJSON()];
}

module.exports = { run };
