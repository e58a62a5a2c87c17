"use strict";
// Reference server for the benchmark: the product's real-time protocol (Socket.IO v5,
// namespaces /participant, /host and /processor, same events and payload shapes) on Node's socket.io,
// with all state in memory and no database. It bounds what the transport alone can do on
// this machine, so the product's figures can be read against it in the same run.
//
//   node reference/server.js [--port P]      (or PORT=P; 0 picks a free port)
//
// Prints "READY <port>" on stdout once listening on 127.0.0.1.

const crypto = require("node:crypto");
const http = require("node:http");
const { Server } = require("socket.io");
const { Call } = require("./call");

const HOST = "127.0.0.1";
const BACKLOG = 4096; // the Python server is run with the same accept backlog

function parsePort(argv, env) {
  const i = argv.indexOf("--port");
  const raw = i >= 0 ? argv[i + 1] : env.PORT;
  const port = raw === undefined ? 0 : Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`invalid port: ${raw}`);
  }
  return port;
}

const calls = new Map(); // call id (the token itself) -> Call

// One notice for every reference call. `join` must name it as seen (CONTRACT §A): its hash,
// as the widget learns it from the `notice` event (or the host from POST /api/v1/calls).
const NOTICE_HASH = "sha256:" + crypto.createHash("sha256").update("reference notice v1").digest("hex");
const NOTICE = {
  version: 1,
  content_hash: NOTICE_HASH,
  language: "en",
  purposes: [{ key: "recording", lawful_basis: "consent", gates_recording: true, grant_fields: [] }],
};

function validationFailed(field, message) {
  return { ok: false, error: { code: "validation_failed", message, fields: { [field]: [message] } } };
}

// What the product checks of a join before anything is stored: the notice shown.
function joinRefusal(payload) {
  const seen = payload && typeof payload === "object" ? payload.seen : undefined;
  if (!seen || typeof seen !== "object" || typeof seen.notice_hash !== "string") {
    return validationFailed("seen", "seen.notice_hash names the notice shown");
  }
  if (seen.notice_hash !== NOTICE_HASH) {
    return { ok: false, error: { code: "stale_notice", message: "the notice has changed; show it again" } };
  }
  return null;
}

function callFor(token) {
  let call = calls.get(token);
  if (!call) calls.set(token, (call = new Call(token)));
  return call;
}

function tokenAuth(socket, next) {
  const token = socket.handshake.auth && socket.handshake.auth.token;
  if (typeof token !== "string" || token.length === 0) {
    const err = new Error("a token is required");
    err.data = { code: "invalid_token" };
    return next(err);
  }
  socket.data.call = callFor(token);
  next();
}

function hostsRoom(call) {
  return "hosts:" + call.id;
}

function processorsRoom(call) {
  return "processors:" + call.id;
}

function replyTo(ack) {
  return typeof ack === "function" ? ack : () => {};
}

function serve(port) {
  const httpServer = http.createServer((req, res) => {
    const ok = req.url === "/healthz" || req.url === "/readyz";
    res.writeHead(ok ? 200 : 404, { "content-type": "application/json" });
    res.end(JSON.stringify(ok ? { status: "ok" } : { status: 404 }));
  });
  const io = new Server(httpServer, { serveClient: false, cors: { origin: true } });
  const hosts = io.of("/host");
  const participants = io.of("/participant");
  const processors = io.of("/processor");

  // After a change, the call's processors get a fresh plan: one per call per turn of the
  // event loop however many changes it held (as the product coalesces per burst).
  const planDue = new Set();
  const changed = (call) => {
    if (planDue.has(call) || processors.adapter.rooms.get(processorsRoom(call)) === undefined) return;
    planDue.add(call);
    setImmediate(() => {
      planDue.delete(call);
      processors.to(processorsRoom(call)).emit("plan", call.plan("recording"));
    });
  };

  participants.use(tokenAuth);
  participants.on("connection", (socket) => {
    const call = socket.data.call;
    const resume = socket.handshake.auth.resume;

    socket.on("notice", (_payload, ack) => {
      replyTo(ack)({ ok: true, notice: NOTICE, languages: ["en"], join_fields: [] });
    });

    socket.on("join", (payload, ack) => {
      const reply = replyTo(ack);
      const refusal = joinRefusal(payload);
      if (refusal) return reply(refusal);
      let participant = socket.data.participant;
      if (!participant) {
        const joined = call.join(typeof resume === "string" ? resume : undefined);
        participant = socket.data.participant = joined.participant;
        if (joined.update) {
          hosts.to(hostsRoom(call)).emit("update", joined.update);
          changed(call);
        }
      }
      return reply({
        ok: true,
        participant: { id: participant.id, resume: participant.resume },
        notice: NOTICE,
        state: { ...participant.state },
      });
    });

    socket.on("decide", (payload, ack) => {
      const reply = replyTo(ack);
      const participant = socket.data.participant;
      if (!participant) {
        return reply({ ok: false, error: { code: "not_joined", message: "join first" } });
      }
      const body = payload && typeof payload === "object" ? payload : {};
      const result = call.decide(participant, body.event_id, body.choices);
      if (result.update) {
        hosts.to(hostsRoom(call)).emit("update", result.update);
        changed(call);
      }
      reply(result.ack);
    });

    socket.on("disconnect", () => {
      if (!socket.data.participant) return;
      const update = call.leave(socket.data.participant);
      if (update) {
        hosts.to(hostsRoom(call)).emit("update", update);
        changed(call);
      }
    });
  });

  hosts.use(tokenAuth);
  hosts.on("connection", (socket) => {
    const call = socket.data.call;
    socket.join(hostsRoom(call));
    socket.emit("roster", call.roster());
    // The reference keeps no update log, so a resync always answers with a fresh roster.
    socket.on("resync", (_payload, ack) => replyTo(ack)({ ok: true, roster: call.roster() }));
  });

  // A processor: its token names the call (as above); the plan of `recording` on connect,
  // then after every change; `applied` is acknowledged.
  processors.use(tokenAuth);
  processors.on("connection", (socket) => {
    const call = socket.data.call;
    socket.join(processorsRoom(call));
    socket.emit("plan", call.plan("recording"));
    socket.on("applied", (payload, ack) => {
      const seq = payload && payload.seq;
      replyTo(ack)(Number.isInteger(seq) && seq >= 0 && seq <= call.seq
        ? { ok: true, processor: { last_applied_seq: seq } }
        : validationFailed("seq", "the seq of a plan received"));
    });
  });

  httpServer.listen(port, HOST, BACKLOG, () => {
    process.stdout.write(`READY ${httpServer.address().port}\n`);
  });

  const stop = () => {
    io.close();
    httpServer.close();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

serve(parsePort(process.argv.slice(2), process.env));
