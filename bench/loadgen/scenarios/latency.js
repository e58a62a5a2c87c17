"use strict";
// S2: open loop at a fixed rate, spread round-robin over many connected participants;
// latency from a participant's emit to the host's receipt of the matching update.
//
// Matching: the loadgen keeps event_id -> send time, and per participant a FIFO of its
// event ids still awaiting their host update. A host update of kind "decision" for a
// participant pops that participant's oldest event id. (At 1,000/s over 5,000
// participants each one has a decide outstanding only every few seconds, so order holds.)

const { openParticipants, openHosts, sleep, waitUntil } = require("../fleet");
const { now, round, summarize, CpuWindow } = require("../metrics");

async function run(opts, result, log, deadline) {
  const { hosts, stats: hostStats } = await openHosts(opts, 1);
  result.connect = { hosts: hostStats };
  const { participants, stats } = await openParticipants(opts, opts.connected, deadline, log);
  result.connect.participants = stats;
  if (participants.length === 0 || hosts.length === 0) throw new Error("nothing connected");
  const host = hosts[0];

  const byId = new Map(participants.map((p) => [p.id, p]));
  const sentAt = new Map(); // event id -> {t, measured, acked}
  const hostMs = [];
  const ackMs = [];
  const errorCodes = {};
  let errors = 0;
  let unmatched = 0;
  let acksPending = 0;

  host.onUpdate((u, t) => {
    if (u.kind !== "decision") return;
    const p = byId.get(u.participant && u.participant.id);
    if (!p || p.sent.length === 0) {
      unmatched += 1;
      return;
    }
    const eventId = p.sent.shift();
    const rec = sentAt.get(eventId);
    sentAt.delete(eventId);
    if (rec && rec.measured) hostMs.push(t - rec.t);
  });

  const total = Math.round(opts.rate * (opts.warmup + opts.duration));
  const warmupMs = opts.warmup * 1000;
  let sent = 0;
  let measuredSent = 0;
  const send = (t0) => {
    const p = participants[sent % participants.length];
    const t = now();
    const measured = t - t0 >= warmupMs;
    const { eventId, acked } = p.decide(opts.purpose, p.nextChoice());
    sentAt.set(eventId, { t, measured });
    p.sent.push(eventId);
    if (measured) measuredSent += 1;
    acksPending += 1;
    acked.then((ack) => {
      acksPending -= 1;
      if (ack && ack.ok) {
        if (measured) ackMs.push(now() - t);
        return;
      }
      errors += 1;
      const code = (ack && ack.error && ack.error.code) || "malformed_ack";
      errorCodes[code] = (errorCodes[code] || 0) + 1;
      // No update will come for a refused decision: stop waiting for it.
      const at = p.sent.indexOf(eventId);
      if (at >= 0) p.sent.splice(at, 1);
      sentAt.delete(eventId);
    });
    sent += 1;
  };

  log(`S2: ${participants.length} participants at ${opts.rate}/s for ${opts.warmup}+${opts.duration} s`);
  const t0 = now();
  let cpu = null;
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const elapsed = now() - t0;
      if (cpu === null && elapsed >= warmupMs) cpu = new CpuWindow(opts.serverPid).start();
      const due = Math.min(total, Math.floor((elapsed * opts.rate) / 1000));
      while (sent < due) send(t0);
      if (sent >= total || now() > deadline) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  const usage = (cpu || new CpuWindow(opts.serverPid).start()).stop();
  const sendSeconds = (now() - t0) / 1000;

  await waitUntil(() => acksPending === 0 && sentAt.size === 0, now() + opts.drain * 1000);
  let neverReceived = 0;
  for (const rec of sentAt.values()) if (rec.measured) neverReceived += 1;

  result.latency = {
    rate_target: opts.rate,
    rate_achieved: round(sent / sendSeconds, 1),
    sent,
    measured: measuredSent,
    host_ms: summarize(hostMs),
    ack_ms: summarize(ackMs),
    never_received: neverReceived,
    unacked: acksPending,
    errors,
    error_codes: errorCodes,
    unmatched_updates: unmatched,
  };
  result.hosts = [host.toJSON()];
  result.cpu = usage;
  await sleep(0);
}

module.exports = { run };
