"use strict";
// The same interface as RawSocket, on the official socket.io-client, one connection per
// socket, no reconnection. Selected with `--client sio`. By default it connects as a browser
// does: HTTP long-polling first, then the upgrade to websocket, offering permessage-deflate
// (`--transports websocket` and `--deflate off` take those away, to see what each costs).

const { io } = require("socket.io-client");
const { performance } = require("node:perf_hooks");
const { ConnectError } = require("./raw-client");

class SioSocket {
  constructor({
    url, path = "/socket.io", nsp, auth, connectTimeoutMs = 20000,
    transports = ["polling", "websocket"], deflate = true,
  }) {
    this.target = new URL(nsp, url).toString();
    this.options = {
      path,
      auth,
      transports,
      forceNew: true, // one Manager, hence one connection, per socket
      reconnection: false,
      timeout: connectTimeoutMs,
      // socket.io-client's own default offers permessage-deflate (threshold 1 KB), as browsers do.
      perMessageDeflate: deflate ? { threshold: 1024 } : false,
    };
    this.connectTimeoutMs = connectTimeoutMs;
    this.socket = null;
    this.pending = []; // [event, fn] registered before connect()
    this.disconnectHandlers = [];
  }

  get connected() {
    return Boolean(this.socket && this.socket.connected);
  }

  on(event, fn) {
    const wrapped = (...args) => fn(performance.now(), ...args);
    if (this.socket) this.socket.on(event, wrapped);
    else this.pending.push([event, wrapped]);
  }

  onDisconnect(fn) {
    this.disconnectHandlers.push(fn);
  }

  connect() {
    return new Promise((resolve, reject) => {
      const socket = io(this.target, this.options);
      this.socket = socket;
      for (const [event, fn] of this.pending) socket.on(event, fn);
      let settled = false;
      const timer = setTimeout(() => fail(new ConnectError("timeout")), this.connectTimeoutMs + 1000);
      const fail = (err) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.close();
        reject(err);
      };
      socket.once("connect", () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.on("disconnect", () => this.disconnectHandlers.forEach((fn) => fn()));
        resolve();
      });
      socket.once("connect_error", (err) => {
        fail(new ConnectError((err.data && err.data.code) || err.message || "refused"));
      });
    });
  }

  emit(event, data) {
    this.socket.emit(event, data);
  }

  emitAck(event, data) {
    return new Promise((resolve) => this.socket.emit(event, data, resolve));
  }

  close() {
    if (this.socket) this.socket.close();
  }
}

module.exports = { SioSocket };
