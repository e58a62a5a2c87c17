"use strict";
// S6: a processor follows the live plan (CONTRACT §D, `/processor`) while participants decide
// at a fixed rate, each alternating granted / withdrawn, so half the decisions are withdrawals.
// Figure: from a withdrawal's acknowledgement to the processor receiving a plan in which that
// withdrawal is reflected (participant not allowed), in ms: p50, p99, max.
//
// Which plan reflects a withdrawal: a plan's `seq` is the call's update sequence, and the
// host's update for each decision carries that decision's seq (matched to its event id per
// participant in order, as S2 does). The first plan received with seq ≥ the withdrawal's seq
// reflects it. A plan received before the acknowledgement counts as 0 ms.
//
// Every plan is also checked: for each participant, `allowed` must be what their latest
// decision up to the plan's seq says (granted: allowed; otherwise not). A plan that allows a
// participant who withdrew is counted in `wrong_plans`, and fails the run.

const { makeSocket, openParticipants, openHosts, sleep, waitUntil } = require("../fleet");
const { now, round, summarize, CpuWindow } = require("../metrics");

async function openProcessor(opts) {
  const socket = makeSocket(opts, "/processor", opts.processorToken);
  const plans = []; // {t, seq, allowed: Map(participant id -> allowed)}
  socket.on("plan", (t, plan) => {
    if (!plan || !Number.isInteger(plan.seq) || !Array.isArray(plan.participants)) return;
    plans.push({ t, seq: plan.seq, allowed: new Map(plan.participants.map((p) => [p.id, p.allowed === true])) });
  });
  await socket.connect();
  const got = await waitUntil(() => plans.length > 0, now() + opts.ackTimeout * 1000);
  if (!got) throw new Error("the processor got no plan on connect");
  return { socket, plans };
}

// The first index in plans (sorted by seq) whose seq is ≥ seq, or -1.
function firstAtLeast(plans, seq) {
  let lo = 0;
  let hi = plans.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (plans[mid].seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo < plans.length ? lo : -1;
}

async function run(opts, result, log, deadline) {
  if (!opts.processorToken) throw new Error("S6 needs --processor-token");
  const { hosts, stats: hostStats } = await openHosts(opts, 1);
  result.connect = { hosts: hostStats };
  if (hosts.length === 0) throw new Error("no host connected");
  const host = hosts[0];
  const processor = await openProcessor(opts);
  const { participants, stats } = await openParticipants(opts, opts.participants, deadline, log);
  result.connect.participants = stats;
  if (participants.length === 0) throw new Error("nothing connected");

  const byId = new Map(participants.map((p) => [p.id, p]));
  const sentAt = new Map(); // event id -> {t, measured, withdrawal, pid, ackT, seq}
  const history = new Map(); // participant id -> [{seq, granted}] from host updates, in order
  const errorCodes = {};
  let errors = 0;
  let acksPending = 0;
  let unmatched = 0;

  host.onUpdate((u) => {
    if (u.kind !== "decision") return;
    const pid = u.participant && u.participant.id;
    const p = byId.get(pid);
    if (!p || p.sent.length === 0) {
      unmatched += 1;
      return;
    }
    const rec = sentAt.get(p.sent.shift());
    if (rec) rec.seq = u.seq;
    const list = history.get(pid) || [];
    list.push({ seq: u.seq, granted: u.participant.state && u.participant.state[opts.purpose] === "granted" });
    history.set(pid, list);
  });

  const total = Math.round(opts.rate * (opts.warmup + opts.duration));
  const warmupMs = opts.warmup * 1000;
  let sent = 0;
  const send = (t0) => {
    const p = participants[sent % participants.length];
    const t = now();
    const state = p.nextChoice();
    const { eventId, acked } = p.decide(opts.purpose, state);
    const rec = { t, measured: t - t0 >= warmupMs, withdrawal: state === "withdrawn", pid: p.id, ackT: null, seq: null };
    sentAt.set(eventId, rec);
    p.sent.push(eventId);
    acksPending += 1;
    acked.then((ack) => {
      acksPending -= 1;
      if (ack && ack.ok) {
        rec.ackT = now();
        return;
      }
      errors += 1;
      const code = (ack && ack.error && ack.error.code) || "malformed_ack";
      errorCodes[code] = (errorCodes[code] || 0) + 1;
      const at = p.sent.indexOf(eventId);
      if (at >= 0) p.sent.splice(at, 1);
      sentAt.delete(eventId);
    });
    sent += 1;
  };

  log(`S6: ${participants.length} participants at ${opts.rate}/s for ${opts.warmup}+${opts.duration} s, 1 processor`);
  const t0 = now();
  let cpu = null;
  let lastApplied = now();
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const elapsed = now() - t0;
      if (cpu === null && elapsed >= warmupMs) cpu = new CpuWindow(opts.serverPid).start();
      const due = Math.min(total, Math.floor((elapsed * opts.rate) / 1000));
      while (sent < due) send(t0);
      // A processor confirms the plan it follows, once a second (not per plan: a real one
      // acts on a plan, then says so).
      if (now() - lastApplied >= 1000 && processor.plans.length) {
        lastApplied = now();
        processor.socket.emitAck("applied", { seq: processor.plans[processor.plans.length - 1].seq });
      }
      if (sent >= total || now() > deadline) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  const usage = (cpu || new CpuWindow(opts.serverPid).start()).stop();
  const sendSeconds = (now() - t0) / 1000;

  // Wait for every acknowledgement, every host update, and a plan covering the last change.
  const lastSeq = () => Math.max(-1, ...Array.from(sentAt.values(), (r) => (r.seq === null ? -1 : r.seq)));
  await waitUntil(() => acksPending === 0 && [...sentAt.values()].every((r) => r.seq !== null) &&
    processor.plans.length > 0 && processor.plans[processor.plans.length - 1].seq >= lastSeq(),
  now() + opts.drain * 1000);

  const plans = processor.plans;
  let outOfOrder = 0;
  for (let i = 1; i < plans.length; i += 1) if (plans[i].seq < plans[i - 1].seq) outOfOrder += 1;

  // Each plan against the decisions known up to its seq.
  let wrongPlans = 0;
  for (const plan of plans) {
    let wrong = false;
    for (const [pid, list] of history) {
      let expected = false; // pending before any decision
      for (const d of list) if (d.seq <= plan.seq) expected = d.granted;
      if (plan.allowed.has(pid) && plan.allowed.get(pid) !== expected) wrong = true;
    }
    if (wrong) wrongPlans += 1;
  }

  const withdrawalMs = [];
  let measuredWithdrawals = 0;
  let neverReached = 0;
  for (const rec of sentAt.values()) {
    if (!rec.withdrawal || !rec.measured || rec.ackT === null) continue;
    measuredWithdrawals += 1;
    const at = rec.seq === null ? -1 : firstAtLeast(plans, rec.seq);
    if (at < 0) {
      neverReached += 1;
      continue;
    }
    withdrawalMs.push(Math.max(0, plans[at].t - rec.ackT));
  }

  result.plan = {
    rate_target: opts.rate,
    rate_achieved: round(sent / sendSeconds, 1),
    sent,
    withdrawals_measured: measuredWithdrawals,
    withdrawal_to_plan_ms: summarize(withdrawalMs),
    never_reached: neverReached,
    plans_received: plans.length,
    plans_per_s: round(plans.length / sendSeconds, 1),
    plans_out_of_order: outOfOrder,
    wrong_plans: wrongPlans,
    unacked: acksPending,
    errors,
    error_codes: errorCodes,
    unmatched_updates: unmatched,
  };
  result.hosts = [host.toJSON()];
  result.cpu = usage;
  processor.socket.close();
  await sleep(0);
}

module.exports = { run };
