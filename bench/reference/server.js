"use strict";
// Reference server for the benchmark: the product's real-time protocol (Socket.IO v5,
// namespaces /participant and /host, same events and payload shapes) on Node's socket.io,
// with all state in memory and no database. It bounds what the transport alone can do on
// this machine, so the product's figures can be read against it in the same run.
//
//   node reference/server.js [--port P]      (or PORT=P; 0 picks a free port)
//
// Prints "READY <port>" on stdout once listening on 127.0.0.1.

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

  participants.use(tokenAuth);
  participants.on("connection", (socket) => {
    const call = socket.data.call;
    const resume = socket.handshake.auth.resume;

    socket.on("join", (_payload, ack) => {
      const reply = replyTo(ack);
      let participant = socket.data.participant;
      if (!participant) {
        const joined = call.join(typeof resume === "string" ? resume : undefined);
        participant = socket.data.participant = joined.participant;
        if (joined.update) hosts.to(hostsRoom(call)).emit("update", joined.update);
      }
      reply({
        ok: true,
        participant: { id: participant.id, resume: participant.resume },
        notice: {},
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
      if (result.update) hosts.to(hostsRoom(call)).emit("update", result.update);
      reply(result.ack);
    });

    socket.on("disconnect", () => {
      if (!socket.data.participant) return;
      const update = call.leave(socket.data.participant);
      if (update) hosts.to(hostsRoom(call)).emit("update", update);
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
