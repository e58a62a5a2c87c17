/**
 * Talking to the meeting page that frames the widget, by postMessage to its origin only.
 *
 * The page learns the participant's state and the widget's height; it never gets the resume
 * secret or the token, so it cannot act as the participant.
 */

const embedded = window.parent !== window;
/** @type {string | null} */
let parentOrigin = null;
/** @type {Record<string, object>} the last message of each type, re-sent after the handshake */
const last = {};

if (embedded) {
  // A first guess, so messages flow before the handshake. A wrong guess is harmless: the browser
  // delivers a message only when the target origin is the parent's real origin.
  const ancestors = location.ancestorOrigins;
  if (ancestors && ancestors.length) parentOrigin = ancestors[0];
  else if (document.referrer) {
    try {
      parentOrigin = new URL(document.referrer).origin;
    } catch {
      parentOrigin = null;
    }
  }
  if (parentOrigin === "null") parentOrigin = null;
  window.addEventListener("message", (event) => {
    const data = event.data;
    if (event.source !== window.parent || !data || data.source !== "consent-widget-loader") return;
    if (data.type !== "hello" || !event.origin || event.origin === "null") return;
    parentOrigin = event.origin;
    for (const message of Object.values(last)) window.parent.postMessage(message, parentOrigin);
  });
}

/**
 * @param {string} type
 * @param {Record<string, unknown>} body
 */
function send(type, body) {
  if (!embedded) return;
  const message = { source: "consent-widget", type, ...body };
  last[type] = message;
  if (parentOrigin) window.parent.postMessage(message, parentOrigin);
}

/** @param {string} title the frame's title, in the participant's language */
export function announceReady(title) {
  send("ready", { title });
}

/**
 * @param {Record<string, string>} choices
 * @param {boolean} recordingAllowed
 */
export function announceState(choices, recordingAllowed) {
  send("state", { state: { ...choices }, recording_allowed: recordingAllowed });
}

let lastHeight = 0;
/** Tell the loader the height the widget needs, so the frame fits it without a scroll bar. */
export function announceHeight() {
  const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
  if (height !== lastHeight) {
    lastHeight = height;
    send("resize", { height });
  }
}

new ResizeObserver(announceHeight).observe(document.documentElement);
