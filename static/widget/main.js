/**
 * The consent widget, inside its iframe on the consent server's origin: the entry module.
 *
 * Reads the widget token from the URL fragment (never a query string), reads the notice over
 * Socket.IO (`notice`), shows it, joins saying which notice version it showed (`seen`), and
 * records each choice as one `decide` with its own UUID. Decisions are sent one at a time, in
 * order, and re-sent with the same event_id after a reconnect, so none is lost or doubled.
 */

import * as i18n from "../i18n.js";
import { controls, noticeFoot, summaryView } from "./choices.js";
import { createConnection, TERMINAL_REFUSALS } from "./connection.js";
import { announcer, h, icon } from "./dom.js";
import { announceHeight, announceReady, announceState } from "./embedding.js";
import { serverFieldErrors, validate } from "./fields.js";
import { joinForm } from "./join-form.js";
import { noticeView } from "./notice-view.js";
import { openStore, saveReceipt } from "./receipts.js";
import {
  fieldsToGrant, hasChoices, isConsent, isSaving, pendingCount, purposeByKey, recordingAllowed, shownState, state,
} from "./state.js";

/** @typedef {import("./state.js").Purpose} Purpose */
/** @typedef {import("./connection.js").Ack} Ack */

const { t } = i18n;
const content = /** @type {HTMLElement} */ (document.getElementById("content"));
const banner = /** @type {HTMLElement} */ (document.getElementById("banner"));
const say = announcer(/** @type {HTMLElement} */ (document.getElementById("live")));
document.getElementById("boot-failed")?.remove(); // the scripts loaded: no "could not load" notice

const fragment = new URLSearchParams(location.hash.slice(1));
const token = fragment.get("token");
// The meeting platform's id of this participant (data-participant-ref), sent with the join.
const participantRef = fragment.get("ref");
const pathMatch = location.pathname.match(/^(.*?)\/widget(?:\/([^/]+))?\/?$/);
const basePath = pathMatch ? pathMatch[1] : "";
const callId = pathMatch && pathMatch[2] ? decodeURIComponent(pathMatch[2]) : null;
const browserLanguages = i18n.browserLanguages();
// A stale notice is read and shown again; a server that keeps answering "stale" is a fault.
const MAX_STALE_RETRIES = 3;

/** @type {Awaited<ReturnType<typeof openStore>> | null} */
let store = null;
/** @type {ReturnType<typeof createConnection> | null} */
let connection = null;
/** @type {string | null} a data-key to focus after the next render */
let focusAfterRender = null;
let staleRetries = 0;
let inFlight = false;
/** the connection came back after a drop: say so once joined again */
let reconnecting = false;
/** @type {{id: string, jws: string} | null} the last signed receipt fetched (signing is on request) */
let signed = null;

/* ---------------------------------------------------------------- render */

function render() {
  const active = document.activeElement;
  const keep = active && content.contains(active) ? active.getAttribute("data-key") : null;
  const restore = focusAfterRender || keep;
  focusAfterRender = null;
  banner.hidden = state.phase !== "reconnecting";
  banner.replaceChildren(...(banner.hidden ? [] : [
    h("span", { class: "spinner", "aria-hidden": "true" }), h("span", { text: t("connection.reconnecting") })]));
  content.setAttribute("aria-busy", state.phase === "loading" || state.phase === "connecting" ? "true" : "false");
  content.replaceChildren(view());
  if (restore) {
    const target = /** @type {HTMLElement | null} */ (content.querySelector(`[data-key="${restore}"]`));
    if (target) target.focus();
  }
  announceHeight();
}

/** @returns {HTMLElement} */
function view() {
  switch (state.phase) {
    case "no_token":
      return messageCard("alert", t("error.no_token.title"), t("error.no_token.body"));
    case "refused":
      return refusedView();
    case "failed":
      return messageCard("alert", t("error.generic.title"), state.failure || t("error.generic.body"), retryButton());
    case "ended":
      return h("div", { class: "stack" },
        messageCard("ended", t("ended.title"), state.joined ? t("ended.body") : t("ended.not_joined")),
        state.joined ? summaryView(null, manage) : null);
    default:
      if (!state.notice) {
        return loadingView(state.phase === "reconnecting" ? t("connection.unreachable") : t("connection.connecting"));
      }
      if (state.joined && state.view === "summary") return summaryView(actions, manage);
      return noticeView(state.notice, {
        controls: (p, titleId) => controls(p, titleId, actions),
        form: joinForm(submitJoin),
        foot: noticeFoot(actions),
        switchLanguage,
        toggleDetails: () => {
          state.details = !state.details;
          focusAfterRender = "details";
          render();
        },
      });
  }
}

/** @param {string} text */
function loadingView(text) {
  return h("div", { class: "card card--quiet loading" },
    h("span", { class: "spinner", "aria-hidden": "true" }), h("p", { text }));
}

/**
 * @param {"alert" | "ended"} kind
 * @param {string} title
 * @param {string} body
 * @param {HTMLElement | null} [extra]
 */
function messageCard(kind, title, body, extra) {
  return h("div", { class: `card message message--${kind}`, role: "alert" },
    h("div", { class: "message-icon" }, icon(kind)),
    h("div", { class: "message-body" },
      h("h1", { class: "message-title", text: title }), h("p", { text: body }), extra || null));
}

function refusedView() {
  switch (state.refusal) {
    case "call_ended":
      return messageCard("ended", t("ended.title"), t("ended.not_joined"));
    case "token_expired":
      return messageCard("alert", t("error.token_expired.title"), t("error.token_expired.body"));
    case "wrong_role":
    case "wrong_call":
    case "invalid_token":
    case "not_found":
      return messageCard("alert", t("error.invalid_token.title"), t("error.invalid_token.body"));
    default:
      return messageCard("alert", t("error.refused.title"),
        t("error.refused.body", { code: state.refusal || "?" }), retryButton());
  }
}

function retryButton() {
  return h("p", { class: "actions" }, h("button", {
    type: "button", class: "button button--primary", "data-key": "retry",
    onclick: () => {
      state.phase = "connecting";
      render();
      if (connection && connection.connected) start();
      else connection?.open();
    },
  }, t("action.retry")));
}

/* ---------------------------------------------------------------- the notice and the join */

/** Read the notice (in the participant's language) and show it. */
async function readNotice() {
  if (!connection) return false;
  /** @type {Record<string, string>} */
  const payload = {};
  const wanted = state.language || browserLanguages[0];
  if (wanted) payload.language = wanted;
  /** @type {Ack} */
  let ack;
  try {
    ack = await connection.request("notice", payload);
  } catch {
    return false; // no answer: the reconnect starts over
  }
  if (!ack.ok) {
    failed(ack.error);
    return false;
  }
  state.notice = ack.notice;
  state.joinFields = Array.isArray(ack.join_fields) ? ack.join_fields : [];
  state.emailLink = ack.manage_by_email === true;
  if (!state.joined) state.phase = "notice";
  // Once joined, the server's own facts come with the notice (after a change, say).
  if (state.joined && ack.state) state.choices = ack.state;
  if (state.joined && Array.isArray(ack.held)) state.held = ack.held;
  const ui = i18n.pick([ack.notice.language]) || i18n.pick(browserLanguages) || "en";
  await i18n.use(ui);
  announceReady(t("widget.frame_title"));
  render();
  return true;
}

/** Read the notice, then join at once when the join needs no data (the notice is on screen). */
async function start() {
  if (!(await readNotice())) return;
  if (!state.joinFields.length || state.participant || state.joined) await join();
  else if (!state.joined) say(t("announce.notice", { name: (state.notice && state.notice.name) || "" }));
}

/** @param {Event} event */
function submitJoin(event) {
  event.preventDefault();
  if (state.phase === "joining") return;
  state.joinErrors = validate(state.joinFields, state.joinValues);
  const invalid = Object.keys(state.joinErrors);
  if (invalid.length) {
    focusAfterRender = `join-${invalid[0]}`;
    render();
    say(state.joinErrors[invalid[0]]);
    return;
  }
  focusAfterRender = "notice-title"; // the form goes; the notice heading keeps the focus
  join();
}

async function join() {
  if (!connection || !state.notice) return;
  /** @type {Record<string, string>} */
  const fields = {};
  // Coming back as the same participant, only what the server still holds is sent again: a
  // field it erased (an objection, a withdrawal) must not come back with a reconnect.
  const resuming = Boolean(state.participant);
  for (const field of state.joinFields) {
    if (!state.joinValues[field] || (resuming && !state.held.includes(field))) continue;
    fields[field] = state.joinValues[field];
  }
  const wasJoined = state.joined;
  if (!wasJoined) state.phase = "joining";
  render();
  /** @type {Ack} */
  let ack;
  try {
    ack = await connection.request("join", {
      fields, language: state.notice.language, seen: { notice_hash: state.notice.content_hash },
      ...(participantRef ? { ref: participantRef } : {}),
    });
  } catch {
    if (connection.connected) connection.reopen();
    return;
  }
  if (ack.ok) joined(ack, wasJoined);
  else joinRefused(ack.error || {});
}

/**
 * @param {Ack} ack
 * @param {boolean} wasJoined
 */
function joined(ack, wasJoined) {
  const wasReconnecting = reconnecting;
  reconnecting = false;
  state.participant = ack.participant || state.participant;
  const saved = store ? store.read() : {};
  if (saved.participant && state.participant && saved.participant !== state.participant.id) state.receipt = null;
  if (ack.notice) state.notice = ack.notice;
  state.choices = ack.state || {};
  state.held = Array.isArray(ack.held) ? ack.held : [];
  state.joined = true;
  state.joinErrors = {};
  state.noticeChanged = false;
  staleRetries = 0;
  state.phase = "ready";
  save();
  if (!wasJoined) state.view = saved.resume && pendingCount() === 0 && hasChoices() ? "summary" : "notice";
  if (pendingCount() > 0) state.view = "notice";
  render();
  announceState(state.choices, recordingAllowed());
  if (wasReconnecting) say(t("connection.restored"));
  else if (!wasJoined) say(t("announce.ready", { name: (state.notice && state.notice.name) || "" }));
  pump();
}

/** @param {{code?: string, message?: string, fields?: Record<string, unknown>}} error */
async function joinRefused(error) {
  if (error.code === "call_ended") {
    callEnded();
    return;
  }
  if (error.code === "stale_notice" && staleRetries < MAX_STALE_RETRIES) {
    // The notice changed while it was shown: show the new one; join when the participant has read it.
    staleRetries += 1;
    state.noticeChanged = true;
    state.joined = false;
    if (!(await readNotice())) return;
    say(t("notice.changed"));
    if (!state.joinFields.length || state.participant) await join();
    return;
  }
  const wanted = serverFieldErrors(error.fields);
  if (Object.keys(wanted).length && ["missing_field", "unexpected_field", "validation_failed"].includes(error.code || "")) {
    // The server names the fields it wants (or refuses): ask for exactly those, on the notice.
    for (const field of Object.keys(wanted)) {
      if (error.code !== "unexpected_field" && !state.joinFields.includes(field)) state.joinFields.push(field);
    }
    if (error.code === "unexpected_field") state.joinFields = state.joinFields.filter((f) => !(f in wanted));
    state.joinErrors = {};
    for (const [field, message] of Object.entries(wanted)) if (state.joinValues[field]) state.joinErrors[field] = message;
    state.phase = "notice";
    state.participant = null;
    focusAfterRender = `join-${Object.keys(wanted)[0]}`;
    render();
    say(t("join.needed"));
    return;
  }
  failed(error);
}

/** @param {{message?: string} | undefined} error */
function failed(error) {
  state.phase = "failed";
  state.failure = (error && error.message) || null;
  render();
  say(state.failure || t("error.generic.body"));
}

/** @param {string} code */
function switchLanguage(code) {
  state.language = code;
  focusAfterRender = "language";
  if (state.joined && connection) {
    // Join again as the same participant (the resume secret) in that language: the ledger then
    // records the notice as it was shown.
    connection.reopen();
  } else {
    readNotice();
  }
}

/* ---------------------------------------------------------------- choices */

/** @type {import("./choices.js").ChoiceActions} */
const actions = {
  accept(p) {
    state.errors[p.key] = null;
    if (shownState(p) === "granted") return;
    const needs = fieldsToGrant(p);
    if (!needs.length) {
      state.grant = null;
      decide(p, "granted");
      return;
    }
    // The data this grant needs is asked now, with the grant, and not before.
    state.grant = { purpose: p.key, choice: "granted", needs, values: {}, errors: {} };
    focusAfterRender = `grant-${needs[0]}`;
    render();
    say(t("grant.legend", { purpose: p.title }));
  },
  decline(p) {
    if (state.grant && state.grant.purpose === p.key) state.grant = null;
    const current = shownState(p);
    if (current === "denied" || current === "withdrawn") {
      render();
      return;
    }
    // Declining a grant is withdrawing it (Art. 7(3)): one action, like granting.
    decide(p, current === "granted" ? "withdrawn" : "denied");
  },
  toggleObjection(p) {
    decide(p, shownState(p) === "objected" ? "not_objected" : "objected");
  },
  submitGrant(p, event) {
    event.preventDefault();
    const grant = state.grant;
    if (!grant || isSaving(p)) return; // already on its way: a second press must not grant twice
    grant.errors = validate(grant.needs, grant.values);
    const invalid = Object.keys(grant.errors);
    if (invalid.length) {
      focusAfterRender = `grant-${invalid[0]}`;
      render();
      say(grant.errors[invalid[0]]);
      return;
    }
    /** @type {Record<string, string>} */
    const fields = {};
    for (const field of grant.needs) fields[field] = grant.values[field];
    focusAfterRender = grant.choice === "granted" ? `accept-${p.key}` : `object-${p.key}`;
    decide(p, grant.choice, fields);
  },
  cancelGrant() {
    const grant = state.grant;
    state.grant = null;
    focusAfterRender = grant ? `${grant.choice === "granted" ? "accept" : "object"}-${grant.purpose}` : null;
    render();
  },
  done() {
    state.view = "summary";
    state.editing = false;
    state.grant = null;
    state.changed = null;
    focusAfterRender = "summary-title";
    render();
  },
  change() {
    state.view = "notice";
    state.editing = true;
    focusAfterRender = "notice-title";
    render();
  },
  receipt: {
    async download() {
      const jws = await signedReceipt();
      if (jws && state.receipt) {
        saveReceipt(state.receipt.id, jws);
        say(t("receipt.saved"));
      }
    },
    async print() {
      const jws = await signedReceipt();
      if (!jws) return;
      const language = i18n.pick([state.notice ? state.notice.language : ""]) || "en";
      window.open(`${basePath}/receipt#${new URLSearchParams({ jws, lang: language })}`, "_blank", "noopener");
    },
  },
};

/** The manage link, and the same link by email (send_manage_link). */
const manage = {
  basePath,
  /** @type {import("./manage-link.js").ManageActions} */
  actions: {
    openEmail() {
      state.mail = { open: true, sending: false, failed: false, status: null, values: {}, errors: {} };
      focusAfterRender = "manage-email";
      render();
    },
    closeEmail() {
      state.mail = { open: false, sending: false, failed: false, status: null, values: {}, errors: {} };
      focusAfterRender = "manage-link";
      render();
    },
    async sendEmail(event) {
      event.preventDefault();
      const mail = state.mail;
      if (mail.sending || !connection) return;
      mail.errors = validate(["email"], mail.values);
      if (mail.errors.email) {
        focusAfterRender = "manage-email";
        render();
        say(mail.errors.email);
        return;
      }
      mail.sending = true;
      render();
      /** @type {Ack | null} */
      let ack = null;
      try {
        ack = await connection.request("send_manage_link", { email: mail.values.email });
      } catch {
        ack = null;
      }
      // The address is used for this one request: forgotten now, whatever the answer.
      const sent = Boolean(ack && ack.ok);
      const message = sent ? t("later.sent")
        : (ack && ack.error && ack.error.message) || t("later.failed");
      state.mail = { open: !sent, sending: false, failed: !sent, status: message, values: {}, errors: {} };
      focusAfterRender = sent ? "manage-link" : "manage-email";
      render();
      say(message);
    },
  },
};

/** The signed receipt of the last recorded choice, asked for now (the server signs on request). */
async function signedReceipt() {
  const receipt = state.receipt;
  if (!receipt || !connection) return null;
  if (signed && signed.id === receipt.id) return signed.jws;
  /** @type {Ack | null} */
  let ack = null;
  try {
    ack = connection.connected ? await connection.request("receipt", { id: receipt.id }) : null;
  } catch {
    ack = null;
  }
  if (!ack || !ack.ok || typeof ack.jws !== "string") {
    say((ack && ack.error && ack.error.message) || t("receipt.failed"));
    return null;
  }
  signed = { id: receipt.id, jws: ack.jws };
  return ack.jws;
}

/**
 * Queue one choice and send the queue in order.
 * @param {Purpose} p
 * @param {string} choice
 * @param {Record<string, string>} [fields]
 */
function decide(p, choice, fields) {
  state.errors[p.key] = null;
  /** @type {import("./state.js").QueuedDecision} */
  const item = { event_id: crypto.randomUUID(), purpose: p.key, choices: { [p.key]: choice } };
  if (fields) item.fields = fields;
  // The notice this choice was made on: a choice made on a notice that has since changed is refused.
  if (state.notice && state.notice.content_hash) item.seen = state.notice.content_hash;
  state.queue.push(item);
  render();
  pump();
}

async function pump() {
  if (inFlight || !state.queue.length || state.phase !== "ready" || !connection || !connection.connected) return;
  const item = state.queue[0];
  inFlight = true;
  /** @type {Ack} */
  let ack;
  try {
    ack = await connection.request("decide", {
      event_id: item.event_id, choices: item.choices, ...(item.fields ? { fields: item.fields } : {}),
      ...(item.seen ? { seen: { notice_hash: item.seen } } : {}),
    });
  } catch {
    // No answer: keep the decision and send it again with the same event_id (the server answers
    // a repeated event_id with the first result), now or after the reconnect.
    inFlight = false;
    if (connection.connected) setTimeout(pump, 1000);
    return;
  }
  inFlight = false;
  state.queue.shift();
  if (ack.ok) decided(item, ack);
  else refusedDecision(item, ack.error || {});
  pump();
}

/**
 * @param {import("./state.js").QueuedDecision} item
 * @param {Ack} ack
 */
function decided(item, ack) {
  const p = purposeByKey(item.purpose);
  state.choices = ack.state || state.choices;
  if (Array.isArray(ack.held)) {
    state.held = ack.held;
    // Erased on the server: forget it here too.
    for (const field of Object.keys(state.joinValues)) if (!state.held.includes(field)) delete state.joinValues[field];
  }
  if (ack.receipt) state.receipt = ack.receipt;
  save();
  if (state.grant && state.grant.purpose === item.purpose && item.choices[item.purpose] === state.grant.choice) {
    state.grant = null;
  }
  announceState(state.choices, recordingAllowed());
  let message = t("announce.saved", { purpose: p ? p.title : item.purpose, state: i18n.stateLabel(state.choices[item.purpose]) });
  // Once nothing is left to decide, the widget folds into the summary (unless the participant
  // opened it on purpose to change something; then "Done" closes it).
  if (state.view === "notice" && !state.editing && !state.queue.length && pendingCount() === 0 && !state.grant &&
      state.notice && state.notice.purposes.some(isConsent)) {
    state.view = "summary";
    state.changed = null;
    if (document.hasFocus()) focusAfterRender = "summary-title";
    message += ` ${t("announce.all_decided")}`;
  }
  render();
  say(message);
}

/**
 * @param {import("./state.js").QueuedDecision} item
 * @param {{code?: string, message?: string, fields?: Record<string, unknown>}} error
 */
function refusedDecision(item, error) {
  const p = purposeByKey(item.purpose);
  const wanted = serverFieldErrors(error.fields);
  const choice = item.choices[item.purpose];
  if (p && (choice === "granted" || choice === "not_objected") && Object.keys(wanted).length &&
      (error.code === "missing_field" || error.code === "validation_failed")) {
    // The server wants data for this choice (a grant, or taking back an objection whose data
    // was erased), or found it invalid: ask for exactly that, with the choice.
    const values = state.grant && state.grant.purpose === p.key ? state.grant.values : { ...(item.fields || {}) };
    /** @type {Record<string, string>} */
    const errors = {};
    for (const [field, message] of Object.entries(wanted)) if (values[field]) errors[field] = message;
    // Ask again for what was sent as well: the choice needs all of it together.
    const needs = [...new Set([...Object.keys(item.fields || {}), ...Object.keys(wanted)])];
    state.grant = { purpose: p.key, choice, needs, values, errors };
    focusAfterRender = `grant-${Object.keys(wanted)[0]}`;
  } else if (error.code === "call_ended") {
    callEnded();
    return;
  } else if (error.code === "stale_notice") {
    // Made on the notice before a change: not recorded. The new notice asks again (the
    // notice_changed event usually came first; if not, read the notice now).
    if (state.changed) render();
    else noticeChanged({});
    return;
  } else if (p) {
    state.errors[p.key] = error.message || t("error.decision");
  }
  render();
  say(`${t("announce.not_saved", { purpose: p ? p.title : item.purpose })} ${error.message || ""}`);
}

/* ---------------------------------------------------------------- a notice change during the call */

/**
 * The organiser moved the call to a later version of its notice. Read it again (with this
 * participant's states as they now stand) and ask only for the purposes that are new or changed;
 * the others keep their state. Before the join, the join must see the new version.
 * @param {{asked_again?: unknown, dropped?: unknown}} change
 */
async function noticeChanged(change) {
  if (!state.joined) {
    state.noticeChanged = true;
    if (await readNotice()) say(t("notice.changed"));
    return;
  }
  const before = new Map(state.notice ? state.notice.purposes.map((p) => [p.key, p.title]) : []);
  const asked = Array.isArray(change.asked_again) ? change.asked_again.map(String) : [];
  const dropped = Array.isArray(change.dropped) ? change.dropped.map(String) : [];
  if (!(await readNotice())) return;
  state.grant = null;
  state.changed = {
    changed: asked.filter((key) => before.has(key)),
    added: asked.filter((key) => !before.has(key)),
    dropped: dropped.map((key) => before.get(key) || key),
  };
  state.view = "notice";
  state.editing = false;
  focusAfterRender = "notice-title";
  render();
  announceState(state.choices, recordingAllowed());
  const again = asked.map((key) => { const p = purposeByKey(key); return p ? p.title : key; });
  say(again.length ? t("notice.changed_call", { purposes: i18n.formatList(again) }) : t("notice.changed_call_none"));
}

/* ---------------------------------------------------------------- session and connection */

function save() {
  if (!store) return;
  store.write({
    resume: state.participant ? state.participant.resume : undefined,
    participant: state.participant ? state.participant.id : undefined,
    receipt: state.receipt || undefined,
  });
}

function callEnded() {
  state.phase = "ended";
  state.grant = null;
  state.queue = [];
  store?.clear();
  connection?.close();
  render();
  say(t("ended.title"));
}

/**
 * @param {string | null} code
 * @param {boolean} retrying
 */
function refused(code, retrying) {
  if (retrying) {
    // A network problem: socket.io tries again by itself.
    if (state.phase === "ready") say(t("connection.lost"));
    state.phase = state.notice ? "reconnecting" : "connecting";
    render();
    return;
  }
  if (state.participant && !TERMINAL_REFUSALS.includes(code || "")) {
    // The resume secret is stale (say, the participant was purged): join afresh.
    store?.clear();
    state.participant = null;
    state.receipt = null;
    state.joined = false;
    connection?.open();
    return;
  }
  if (code === "call_ended" && state.joined) {
    callEnded();
    return;
  }
  state.phase = "refused";
  state.refusal = code;
  render();
  say(content.textContent || "");
}

function dropped() {
  if (state.phase === "ended") return;
  if (state.phase === "ready") say(t("connection.lost"));
  state.phase = "reconnecting";
  render();
}

async function boot() {
  await i18n.use(i18n.pick(browserLanguages) || "en").catch(() => "en");
  announceReady(t("widget.frame_title"));
  if (!token) {
    state.phase = "no_token";
    render();
    return;
  }
  state.phase = "connecting";
  render();
  store = await openStore(token);
  const saved = store.read();
  if (saved.resume && saved.participant) state.participant = { id: saved.participant, resume: saved.resume };
  if (saved.receipt) state.receipt = saved.receipt;
  connection = createConnection(
    { token, callId, basePath, resume: () => (state.participant ? state.participant.resume : null) },
    {
      connected: () => {
        reconnecting = state.phase === "reconnecting";
        start();
      },
      refused,
      dropped,
      callEnded,
      noticeChanged,
    });
  // Leaving the page closes the connection at once, so the server marks the participant as left
  // (and no longer counts them for the gate) without waiting for a timeout.
  window.addEventListener("pagehide", () => connection?.close());
  connection.open();
}

// The token is the page's identity: a new one in the fragment means a new page.
window.addEventListener("hashchange", () => location.reload());
boot();
