"use strict";
// Opening many participants and hosts, and following what a host sees.

const crypto = require("node:crypto");
const { RawSocket } = require("./raw-client");
const { SioSocket } = require("./sio-client");
const { joinFields } = require("./options");
const { now, round, summarize } = require("./metrics");

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Resolves with the promise's value, or with `fallback` after ms milliseconds.
function within(promise, ms, fallback) {
  let timer;
  const late = new Promise((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

// Polls cond() every 20 ms until it holds or the deadline (performance.now() ms) passes.
async function waitUntil(cond, deadline) {
  while (!cond() && now() < deadline) await sleep(20);
  return cond();
}

function makeSocket(opts, nsp, token) {
  const Socket = opts.client === "sio" ? SioSocket : RawSocket;
  return new Socket({
    url: opts.url,
    path: opts.path,
    nsp,
    auth: { token },
    connectTimeoutMs: opts.connectTimeout * 1000,
    transports: opts.transports.split(","),
    deflate: opts.deflate === "on",
  });
}

// A participant that alternates its choice for one purpose: granted, withdrawn, granted...
class Participant {
  constructor(index, socket) {
    this.index = index;
    this.socket = socket;
    this.id = null;
    this.decisions = 0;
    this.sent = []; // FIFO of event ids whose host update has not been seen yet (S2)
  }

  nextChoice() {
    this.decisions += 1;
    return this.decisions % 2 === 1 ? "granted" : "withdrawn";
  }

  decide(purpose, state) {
    const eventId = crypto.randomUUID();
    return { eventId, acked: this.socket.emitAck("decide", { event_id: eventId, choices: { [purpose]: state } }) };
  }
}

// Counts connection attempts and their failures by code, with phase timings.
class ConnectStats {
  constructor(label) {
    this.label = label;
    this.attempted = 0;
    this.connected = 0;
    this.joined = 0;
    this.failed = 0;
    this.errors = {};
    this.connectMs = [];
    this.joinMs = [];
    this.disconnected = 0;
  }

  fail(code) {
    this.failed += 1;
    this.errors[code] = (this.errors[code] || 0) + 1;
  }

  toJSON() {
    return {
      attempted: this.attempted,
      connected: this.connected,
      joined: this.joined,
      failed: this.failed,
      errors: this.errors,
      disconnected: this.disconnected,
      seconds: round(this.seconds),
      connect_ms: summarize(this.connectMs),
      join_ms: this.joinMs.length ? summarize(this.joinMs) : undefined,
    };
  }
}

// The content hash of the notice that `join` says was shown: --notice-hash, or else read
// once per run with the `notice` event (as the widget reads the notice before joining) on
// the first participant's socket, and shared by all.
let noticeHashRead = null;
function noticeHash(opts, socket) {
  if (opts.noticeHash) return Promise.resolve(opts.noticeHash);
  if (noticeHashRead === null) {
    noticeHashRead = within(socket.emitAck("notice", { language: opts.language }), opts.ackTimeout * 1000, null)
      .then((ack) => (ack && ack.ok && ack.notice && ack.notice.content_hash) || null);
  }
  return noticeHashRead;
}

// Connects and joins participant number i; resolves with a Participant or null.
async function openParticipant(opts, i, stats) {
  stats.attempted += 1;
  const socket = makeSocket(opts, "/participant", opts.widgetToken);
  const t0 = now();
  try {
    await socket.connect();
  } catch (err) {
    stats.fail("connect:" + (err.code || err.message));
    return null;
  }
  const t1 = now();
  stats.connected += 1;
  stats.connectMs.push(t1 - t0);
  socket.onDisconnect(() => {
    stats.disconnected += 1;
  });
  const seen = await noticeHash(opts, socket);
  if (!seen) {
    stats.fail("notice:unavailable");
    socket.close();
    return null;
  }
  // CONTRACT §A: join names the notice version shown (its content hash).
  const payload = { fields: joinFields(opts, i), language: opts.language, seen: { notice_hash: seen } };
  const ack = await within(socket.emitAck("join", payload), opts.ackTimeout * 1000, null);
  if (!ack || !ack.ok) {
    stats.fail("join:" + (ack ? (ack.error && ack.error.code) || "refused" : "timeout"));
    socket.close();
    return null;
  }
  stats.joinMs.push(now() - t1);
  stats.joined += 1;
  const p = new Participant(i, socket);
  p.id = ack.participant && ack.participant.id;
  return p;
}

// Runs task(i) for i in [0, n) with at most `concurrency` in flight; stops starting new
// ones after the deadline. Logs progress to stderr once a second.
async function pool(n, concurrency, task, deadline, progress) {
  let next = 0;
  const ticker = progress ? setInterval(() => progress(next), 1000) : null;
  const worker = async () => {
    while (next < n && now() < deadline) {
      const i = next;
      next += 1;
      await task(i);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, n)) }, worker));
  } finally {
    if (ticker) clearInterval(ticker);
  }
}

// Opens n joined participants with opts.inflight handshakes in flight.
async function openParticipants(opts, n, deadline, log) {
  const stats = new ConnectStats("participants");
  const participants = [];
  const t0 = now();
  await pool(
    n,
    opts.inflight,
    async (i) => {
      const p = await openParticipant(opts, i + 1, stats);
      if (p) participants.push(p);
    },
    deadline,
    () => log(`participants joined ${stats.joined}/${n} (failed ${stats.failed})`),
  );
  stats.seconds = (now() - t0) / 1000;
  return { participants, stats };
}

// What one host sees: the roster, then updates (single objects or batched lists).
class HostView {
  constructor(socket) {
    this.socket = socket;
    this.roster = null;
    this.rosterAt = null;
    this.lastSeq = null;
    this.seqGaps = 0;
    this.updates = 0;
    this.decisionUpdates = 0;
    this.batches = 0;
    this.listeners = [];
    socket.on("roster", (t, roster) => {
      this.roster = roster;
      this.rosterAt = t;
      if (roster && Number.isInteger(roster.seq)) this.lastSeq = roster.seq;
    });
    socket.on("update", (t, ...args) => {
      this.batches += 1;
      for (const arg of args) {
        if (Array.isArray(arg)) for (const u of arg) this._apply(u, t);
        else this._apply(arg, t);
      }
    });
  }

  onUpdate(fn) {
    this.listeners.push(fn);
  }

  _apply(u, t) {
    if (!u || typeof u !== "object") return;
    this.updates += 1;
    if (Number.isInteger(u.seq)) {
      if (this.lastSeq !== null && u.seq !== this.lastSeq + 1) this.seqGaps += 1;
      if (this.lastSeq === null || u.seq > this.lastSeq) this.lastSeq = u.seq;
    }
    if (u.kind === "decision") this.decisionUpdates += 1;
    for (const fn of this.listeners) fn(u, t);
  }

  toJSON() {
    return {
      updates: this.updates,
      decision_updates: this.decisionUpdates,
      update_events: this.batches,
      seq_gaps: this.seqGaps,
      last_seq: this.lastSeq,
    };
  }
}

// Connects a host and waits for its roster; resolves with {host, ms} or {error}.
async function openHost(opts) {
  const socket = makeSocket(opts, "/host", opts.hostToken);
  const host = new HostView(socket);
  const t0 = now();
  try {
    await socket.connect();
  } catch (err) {
    return { error: "connect:" + (err.code || err.message) };
  }
  const got = await waitUntil(() => host.roster !== null, now() + opts.ackTimeout * 1000);
  if (!got) {
    socket.close();
    return { error: "roster:timeout" };
  }
  return { host, ms: host.rosterAt - t0 };
}

async function openHosts(opts, k) {
  const stats = new ConnectStats("hosts");
  const hosts = [];
  const t0 = now();
  for (let i = 0; i < k; i += 1) {
    stats.attempted += 1;
    const r = await openHost(opts);
    if (r.error) stats.fail(r.error);
    else {
      stats.connected += 1;
      stats.connectMs.push(r.ms);
      hosts.push(r.host);
    }
  }
  stats.seconds = (now() - t0) / 1000;
  return { hosts, stats };
}

module.exports = {
  makeSocket,
  sleep,
  within,
  waitUntil,
  pool,
  ConnectStats,
  openParticipant,
  openParticipants,
  openHost,
  openHosts,
  HostView,
};
