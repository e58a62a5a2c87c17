"use strict";
// A minimal Socket.IO v5 client over Engine.IO v4, websocket transport only, on `ws`.
// One instance is one namespace on its own connection, which is what every benchmark
// participant or host is. It speaks just what the benchmark needs: open, ping/pong,
// namespace connect (with auth), connect_error, events, acknowledgements, disconnect.
// No reconnection, no long-polling, no binary attachments.
//
// Why not socket.io-client (still available as `--client sio`): it holds 10,000 sockets
// too, but it needs more of the load generator's single core per message and ~60% more
// memory per socket, and opens a burst of sockets at half the rate (bench/README.md).

const WebSocket = require("ws");
const { performance } = require("node:perf_hooks");

// Engine.IO packet types (first character of a text frame).
const EIO_OPEN = "0";
const EIO_CLOSE = "1";
const EIO_PING = "2";
const EIO_PONG = "3";
const EIO_MESSAGE = "4";
// Socket.IO packet types (second character of an Engine.IO message).
const SIO_CONNECT = 0;
const SIO_DISCONNECT = 1;
const SIO_EVENT = 2;
const SIO_ACK = 3;
const SIO_CONNECT_ERROR = 4;

class ConnectError extends Error {
  constructor(code, message) {
    super(message || code);
    this.code = code;
  }
}

function socketUrl(httpUrl, path) {
  const u = new URL(httpUrl);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  u.pathname = path.endsWith("/") ? path : path + "/";
  u.search = "?EIO=4&transport=websocket";
  return u.toString();
}

// Splits "2/host,12[...]" into {type, nsp, id, data}.
function parsePacket(text) {
  const type = text.charCodeAt(0) - 48;
  let i = 1;
  let nsp = "/";
  if (text[i] === "/") {
    const comma = text.indexOf(",", i);
    nsp = comma === -1 ? text.slice(i) : text.slice(i, comma);
    i = comma === -1 ? text.length : comma + 1;
  }
  const idStart = i;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i += 1;
  }
  const id = i > idStart ? Number(text.slice(idStart, i)) : undefined;
  const data = i < text.length ? JSON.parse(text.slice(i)) : undefined;
  return { type, nsp, id, data };
}

class RawSocket {
  constructor({ url, path = "/socket.io", nsp, auth, connectTimeoutMs = 20000 }) {
    this.url = socketUrl(url, path);
    this.nsp = nsp;
    this.prefix = nsp === "/" ? "" : nsp + ",";
    this.auth = auth;
    this.connectTimeoutMs = connectTimeoutMs;
    this.connected = false;
    this.handlers = new Map(); // event -> [fn(receivedAt, ...args)]
    this.disconnectHandlers = [];
    this.acks = new Map(); // ack id -> resolve
    this.nextAckId = 0;
    this.ws = null;
  }

  // Handlers receive the receipt time (performance.now()) first, then the event's arguments.
  on(event, fn) {
    const list = this.handlers.get(event);
    if (list) list.push(fn);
    else this.handlers.set(event, [fn]);
  }

  onDisconnect(fn) {
    this.disconnectHandlers.push(fn);
  }

  connect() {
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (err) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) {
          this._terminate();
          reject(err);
        } else {
          this.connected = true;
          resolve();
        }
      };
      const timer = setTimeout(() => settle(new ConnectError("timeout")), this.connectTimeoutMs);
      const ws = new WebSocket(this.url, { perMessageDeflate: false, skipUTF8Validation: true });
      this.ws = ws;
      this._settleConnect = settle;
      ws.on("message", (data) => this._onFrame(data.toString(), performance.now()));
      ws.on("error", (e) => settle(new ConnectError(e.code || "websocket_error", e.message)));
      ws.on("close", () => {
        settle(new ConnectError("closed"));
        this._lost();
      });
    });
  }

  emit(event, data) {
    this._send(`${EIO_MESSAGE}${SIO_EVENT}${this.prefix}${JSON.stringify([event, data])}`);
  }

  // Resolves with the first acknowledgement argument; never rejects. If the connection
  // is lost first the promise stays pending: callers bound their waits with deadlines.
  emitAck(event, data) {
    return new Promise((resolve) => {
      const id = this.nextAckId++;
      this.acks.set(id, resolve);
      this._send(`${EIO_MESSAGE}${SIO_EVENT}${this.prefix}${id}${JSON.stringify([event, data])}`);
    });
  }

  close() {
    if (!this.ws) return;
    if (this.connected) this._send(`${EIO_MESSAGE}${SIO_DISCONNECT}${this.prefix}`);
    this.connected = false;
    try {
      this.ws.close();
    } catch (_) {
      this._terminate();
    }
  }

  // --- internals ----------------------------------------------------------------------

  _send(text) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
  }

  _terminate() {
    try {
      if (this.ws) this.ws.terminate();
    } catch (_) {
      /* already gone */
    }
  }

  _lost() {
    const was = this.connected;
    this.connected = false;
    if (was) for (const fn of this.disconnectHandlers) fn();
  }

  _onFrame(text, receivedAt) {
    switch (text[0]) {
      case EIO_MESSAGE:
        return this._onPacket(parsePacket(text.slice(1)), receivedAt);
      case EIO_PING:
        return this._send(EIO_PONG + text.slice(1));
      case EIO_OPEN:
        return this._send(`${EIO_MESSAGE}${SIO_CONNECT}${this.prefix}${JSON.stringify(this.auth || {})}`);
      case EIO_CLOSE:
        return this._terminate();
      default:
        return undefined; // noop and anything newer
    }
  }

  _onPacket(packet, receivedAt) {
    if (packet.nsp !== this.nsp) return;
    switch (packet.type) {
      case SIO_EVENT: {
        const [event, ...args] = packet.data;
        const list = this.handlers.get(event);
        if (list) for (const fn of list) fn(receivedAt, ...args);
        return;
      }
      case SIO_ACK: {
        const resolve = this.acks.get(packet.id);
        if (resolve) {
          this.acks.delete(packet.id);
          resolve(packet.data[0]);
        }
        return;
      }
      case SIO_CONNECT:
        return this._settleConnect(null);
      case SIO_CONNECT_ERROR: {
        const d = packet.data || {};
        return this._settleConnect(new ConnectError((d.data && d.data.code) || d.message || "refused"));
      }
      case SIO_DISCONNECT:
        this._lost();
        return this._terminate();
      default:
        return undefined;
    }
  }
}

module.exports = { RawSocket, ConnectError, parsePacket };
