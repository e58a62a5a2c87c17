/**
 * The widget's Socket.IO connection to /participant: requests with acknowledgements, and the
 * connection's life (connect, refusals, drops) reported to the caller.
 */

import { io } from "../vendor/socket.io.esm.min.js";

const ACK_TIMEOUT_MS = 15000;
// A connect_error whose data.code is one of these will not change by retrying.
export const TERMINAL_REFUSALS = ["invalid_token", "wrong_role", "token_expired", "call_ended",
  "wrong_call", "not_found"];

/**
 * @typedef {{ok: boolean, error?: {code?: string, message?: string,
 *   fields?: Record<string, unknown>}, [key: string]: any}} Ack
 */

/**
 * @typedef {object} ConnectionEvents
 * @property {() => void} connected every (re)connection
 * @property {(code: string | null, retrying: boolean) => void} refused a connect_error
 * @property {(reason: string) => void} dropped a disconnect not asked for
 * @property {() => void} callEnded
 * @property {(change: {asked_again?: unknown, dropped?: unknown}) => void} noticeChanged the
 *   organiser moved the call to a later version of its notice
 */

/**
 * The connection; nothing is sent until `open()`.
 * @param {{token: string, callId: string | null, basePath: string,
 *   resume: () => string | null | undefined}} identity
 * @param {ConnectionEvents} events
 */
export function createConnection(identity, events) {
  const socket = io("/participant", {
    path: `${identity.basePath}/socket.io`,
    transports: ["websocket", "polling"],
    tryAllTransports: true,
    autoConnect: false,
    reconnectionDelayMax: 10000,
    // A function, so every reconnection sends the latest resume secret.
    auth: (cb) => {
      /** @type {Record<string, string>} */
      const auth = { token: identity.token };
      if (identity.callId) auth.call = identity.callId;
      const resume = identity.resume();
      if (resume) auth.resume = resume;
      cb(auth);
    },
  });

  socket.on("connect", () => events.connected());
  socket.on("connect_error", (err) => {
    const data = /** @type {{data?: {code?: unknown}}} */ (err).data;
    const code = data && typeof data.code === "string" ? data.code : null;
    events.refused(code, socket.active);
  });
  socket.on("disconnect", (reason) => {
    if (reason === "io client disconnect") return;
    events.dropped(reason);
    // The server closed the connection on purpose; socket.io does not retry that by itself.
    if (reason === "io server disconnect") setTimeout(() => socket.connect(), 2000);
  });
  socket.on("call_ended", () => events.callEnded());
  socket.on("notice_changed", (change) => events.noticeChanged(change || {}));

  return {
    open() { socket.connect(); },
    close() { socket.disconnect(); },
    /** Reconnect: the join that follows sends the resume secret, so it is the same person. */
    reopen() { socket.disconnect().connect(); },
    get connected() { return socket.connected; },
    /**
     * Send an event and wait for its acknowledgement (rejects on timeout or a lost connection).
     * @param {string} event
     * @param {object} payload
     * @returns {Promise<Ack>}
     */
    request(event, payload) {
      return socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload);
    },
  };
}
