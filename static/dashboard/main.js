/**
 * Host dashboard: the live roster of one call (the entry module).
 *
 * The server sends a `roster` on connect, then numbered `update`s (one object or a list). Updates
 * are applied strictly in sequence: a gap (a missed update) or a reconnect asks for `resync` from
 * the last applied number, and the acknowledgement brings the missed updates or a fresh roster.
 * The host namespace's `feed` event says when live updates may be missing (`{"live": false}`:
 * a banner says the view may be out of date) and when they flow again (`{"live": true}`: resync).
 * All DOM work of a burst is done once per animation frame.
 */

import * as i18n from "../i18n.js";
import { io } from "../vendor/socket.io.esm.min.js";
import { createChart } from "./chart.js";
import { applyRoster, applyUpdates, createModel } from "./model.js";
import { createOverview } from "./overview.js";
import { createProcessors } from "./processors.js";
import { createTable } from "./table.js";

const { t, tp } = i18n;
const ACK_TIMEOUT_MS = 15000;
const RESYNC_RETRY_MS = 2000;

const token = new URLSearchParams(location.hash.slice(1)).get("token");
const basePath = location.pathname.replace(/\/host\/?$/, "");

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const ui = {
  main: $("main"), live: $("live"), title: $("call-title"), connection: $("connection"),
  connectionText: $("connection-text"), problem: $("problem"), stale: $("stale"),
  rosterCount: $("roster-count"), empty: $("roster-empty"), noticeVersion: $("notice-version"),
  noticeChange: $("notice-change"),
  filterText: /** @type {HTMLInputElement} */ ($("filter-text")),
  filterShow: /** @type {HTMLSelectElement} */ ($("filter-show")),
};

/** @type {ReturnType<typeof setTimeout> | undefined} */
let sayTimer;
/** @param {string} text */
function say(text) {
  ui.live.textContent = "";
  clearTimeout(sayTimer);
  sayTimer = setTimeout(() => { ui.live.textContent = text; }, 60);
}

const model = createModel();
const table = createTable({ head: $("roster-head-row"), body: $("roster-body"), table: $("roster-table") });
const overview = createOverview({
  gate: $("gate"), gateTitle: $("gate-title"), gateDetail: $("gate-detail"), present: $("present-count"),
  left: $("left-count"), purposeStats: $("purpose-stats"),
}, say);

const processors = createProcessors(
  { section: $("processors"), body: $("processors-body"), count: $("processors-count") },
  (key) => {
    const column = model.call && (model.call.purposes || []).find((/** @type {any} */ p) => p.key === key);
    return column && column.title ? column.title : key;
  },
);
const chart = createChart({
  section: $("consent-chart"), svg: /** @type {SVGSVGElement} */ (/** @type {unknown} */ ($("chart-svg"))),
  desc: $("chart-desc"), legend: $("chart-legend"), table: /** @type {HTMLTableElement} */ ($("chart-table")),
});

/** @type {import("./model.js").Filter} */
const filter = { text: "", show: "all" };
let haveRoster = false;
let resyncing = false;
/** @type {any[]} updates that arrived before the roster or during a resync */
let waiting = [];
let connectedOnce = false;
/** @type {import("socket.io-client").Socket | null} */
let socket = null;

/* ---------------------------------------------------------------- applying what arrives */

const pending = { rebuild: false, dirty: new Set(), scheduled: false };

function schedule() {
  if (pending.scheduled) return;
  pending.scheduled = true;
  // Browsers pause animation frames in a hidden tab; a host's dashboard behind the meeting
  // window must still follow (its announcements, and what it shows when it comes back).
  if (document.hidden) setTimeout(flush, 50);
  else requestAnimationFrame(flush);
}

function flush() {
  pending.scheduled = false;
  if (!haveRoster) return;
  ui.main.setAttribute("aria-busy", "false");
  ui.title.textContent = (model.call && model.call.title) || t("host.untitled");
  renderNotice();
  processors.follow(model.seq);
  if (pending.rebuild) table.rebuild(model, filter);
  else if (pending.dirty.size) table.refresh(model, pending.dirty, filter);
  if (model.ended && !pending.rebuild) table.refresh(model, model.people.keys(), filter); // nobody blocks now
  pending.rebuild = false;
  pending.dirty.clear();
  overview.render(model);
  // A filter on blocking depends on the call's end; otherwise only changed rows refilter.
  renderCounts(model.ended && filter.show === "blocking" ? table.filter(model, filter) : table.shown());
  if (model.ended) setConnection("ended");
}

/** The notice version the call runs on, and what its last change during the call asked again. */
function renderNotice() {
  const notice = model.call && model.call.notice;
  ui.noticeVersion.textContent = notice ? t("host.notice_version", { version: String(notice.version) }) : "";
  const change = model.noticeChange;
  ui.noticeChange.hidden = !change;
  if (change) ui.noticeChange.textContent = noticeChangeText(change);
}

/** @param {import("./model.js").NoticeChange} change */
function noticeChangeText(change) {
  const title = (/** @type {string} */ key) => {
    const column = model.call && (model.call.purposes || []).find((p) => p.key === key);
    return column && column.title ? column.title : key;
  };
  const asked = change.asked_again.length
    ? t("host.notice_changed.asked", { purposes: i18n.formatList(change.asked_again.map(title)) })
    : t("host.notice_changed.none");
  const dropped = change.dropped.length
    ? ` ${t("host.notice_changed.dropped", { purposes: i18n.formatList(change.dropped) })}` : "";
  return `${t("host.notice_changed", { version: String(change.version) })} ${asked}${dropped}`;
}

/** @param {any} roster */
function takeRoster(roster) {
  applyRoster(model, roster);
  haveRoster = true;
  pending.rebuild = true;
  schedule();
}

/** @param {any[]} list */
function receive(list) {
  if (!haveRoster || resyncing) {
    waiting.push(...list);
    return;
  }
  const { changed, rest, notice } = applyUpdates(model, list);
  changed.forEach((id) => pending.dirty.add(id));
  if (notice) noticeChanged(notice);
  if (rest.length) {
    waiting = rest;
    resync();
  }
  schedule();
}

/** @param {import("./model.js").NoticeChange} change every column and row may have changed */
function noticeChanged(change) {
  pending.rebuild = true;
  say(noticeChangeText(change));
}

function drainWaiting() {
  const list = waiting;
  waiting = [];
  if (list.length) receive(list);
}

async function resync() {
  if (resyncing || !socket || !socket.connected) return;
  resyncing = true;
  let ack;
  try {
    ack = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck("resync", { since: model.seq });
  } catch {
    ack = null;
  }
  resyncing = false;
  if (!ack || !ack.ok) {
    setTimeout(resync, RESYNC_RETRY_MS);
    return;
  }
  if (ack.roster) {
    if (ack.roster.seq >= model.seq) takeRoster(ack.roster);
  } else {
    const { changed, notice } = applyUpdates(model, ack.updates || []);
    changed.forEach((id) => pending.dirty.add(id));
    if (notice) noticeChanged(notice);
  }
  schedule();
  drainWaiting();
}

/* ---------------------------------------------------------------- the page around the table */

/** @param {number} shown */
function renderCounts(shown) {
  const total = model.people.size;
  ui.rosterCount.textContent = shown === total
    ? tp("host.roster.count", total)
    : t("host.roster.showing", { shown: i18n.formatNumber(shown), total: i18n.formatNumber(total) });
  ui.empty.hidden = shown !== 0;
  ui.empty.textContent = total === 0 ? t("host.roster.empty") : t("host.roster.no_match");
}

/** @param {"connecting" | "live" | "reconnecting" | "ended"} kind */
function setConnection(kind) {
  const text = {
    connecting: t("host.connection.connecting"),
    live: t("host.connection.live"),
    reconnecting: t("host.connection.reconnecting"),
    ended: t("host.connection.ended"),
  }[kind];
  ui.connection.className = `connection connection--${kind}`;
  ui.connectionText.textContent = text;
}

/** @param {boolean} stale */
function setStale(stale) {
  if (ui.stale.hidden === !stale) return;
  ui.stale.hidden = !stale;
  if (stale) say(t("host.feed.stale"));
}

/**
 * @param {string} title
 * @param {string} body
 */
function showProblem(title, body) {
  ui.title.textContent = title;
  ui.problem.hidden = false;
  ui.problem.className = "problem";
  const p = document.createElement("p");
  p.textContent = body;
  ui.problem.replaceChildren(p);
  for (const id of ["gate", "overview", "consent-chart", "roster"]) $(id).hidden = true;
  ui.main.setAttribute("aria-busy", "false");
  say(title);
}

/** @type {ReturnType<typeof setTimeout> | undefined} */
let filterTimer;
ui.filterText.addEventListener("input", () => {
  clearTimeout(filterTimer);
  filterTimer = setTimeout(() => {
    filter.text = ui.filterText.value.trim().toLowerCase();
    renderCounts(table.filter(model, filter));
  }, 120);
});
ui.filterShow.addEventListener("change", () => {
  filter.show = /** @type {import("./model.js").Filter["show"]} */ (ui.filterShow.value);
  renderCounts(table.filter(model, filter));
});

/* ---------------------------------------------------------------- connection */

/** @param {any} err */
function refusalCode(err) {
  const data = err && err.data;
  return data && typeof data === "object" && typeof data.code === "string" ? data.code : null;
}

function connect() {
  const s = io("/host", {
    path: `${basePath}/socket.io`,
    transports: ["websocket", "polling"],
    tryAllTransports: true,
    reconnectionDelayMax: 10000,
    auth: { token },
  });
  socket = s;
  chart.follow(s); // the consent chart listens to the same roster and updates
  s.on("connect", () => {
    setConnection(model.ended ? "ended" : "live");
    setStale(false);
    if (connectedOnce && haveRoster) {
      say(t("host.connection.restored"));
      resync(); // catch up on what happened while away; the server's fresh roster may follow
    }
    connectedOnce = true;
  });
  s.on("roster", (roster) => {
    // A roster pushed at connect is authoritative unless it is older than what we have.
    if (!haveRoster || (roster && roster.seq > model.seq)) takeRoster(roster);
    drainWaiting();
  });
  s.on("update", (payload) => receive(Array.isArray(payload) ? payload : [payload]));
  s.on("processors", (payload) => processors.take(payload));
  s.on("feed", (/** @type {{live?: boolean}} */ feed) => {
    if (!feed || typeof feed.live !== "boolean") return;
    setStale(!feed.live);
    if (feed.live && haveRoster) resync();
  });
  s.on("connect_error", (err) => {
    if (s.active) {
      setConnection(connectedOnce ? "reconnecting" : "connecting");
      return;
    }
    const code = refusalCode(err);
    if (code === "token_expired") showProblem(t("host.error.expired.title"), t("host.error.expired.body"));
    else if (code === "invalid_token" || code === "wrong_role") showProblem(t("host.error.invalid.title"), t("host.error.invalid.body"));
    else showProblem(t("host.error.refused.title"), t("host.error.refused.body", { code: code || "?" }));
    setConnection("ended");
  });
  s.on("disconnect", (reason) => {
    if (reason === "io client disconnect") return;
    setConnection(model.ended ? "ended" : "reconnecting");
    if (!model.ended) say(t("host.connection.reconnecting"));
    if (reason === "io server disconnect") setTimeout(() => s.connect(), 2000);
  });
}

// The token is the page's identity: a new one in the fragment means a new page.
window.addEventListener("hashchange", () => location.reload());

// For tests and diagnostics: the applied sequence number and size, never personal data.
Object.assign(window, {
  consentDashboard: { seq: () => model.seq, participants: () => model.people.size },
});

i18n.use(i18n.pick(i18n.browserLanguages()) || "en").catch(() => "en").then(() => {
  if (!token) {
    showProblem(t("host.error.no_token.title"), t("host.error.no_token.body"));
    setConnection("ended");
    return;
  }
  connect();
});
