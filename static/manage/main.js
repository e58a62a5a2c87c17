/**
 * The participant's manage page (`/manage/<participant id>#key=<secret>`, CONTRACT §C): the entry
 * module.
 *
 * Takes the manage secret out of the fragment (and the address bar) at once, reads `/me` with it
 * in the `Authorization` header, and shows what is held and what may still be done. Every action
 * (a choice, the export, the erasure) reads `/me` again and says its result in the polite live
 * region. A 401, at any time, means the link is not valid (any more): the secret is dropped.
 */

import * as i18n from "../i18n.js";
import { announcer, h } from "../widget/dom.js";
import { dataPhrase, serverFieldErrors, validate } from "../widget/fields.js";
import { saveReceipt } from "../widget/receipts.js";
import { createClient, Refused, Unauthorized, Unreachable } from "./api.js";
import { takeCredentials } from "./key.js";
import { currentState, loadingView, messageCard, pageView } from "./views.js";

/** @typedef {import("./api.js").Me} Me */
/** @typedef {import("../widget/state.js").Purpose} Purpose */

const { t } = i18n;
const content = /** @type {HTMLElement} */ (document.getElementById("content"));
const say = announcer(/** @type {HTMLElement} */ (document.getElementById("live")));
document.getElementById("boot-failed")?.remove(); // the scripts loaded

// First thing: the secret leaves the address bar.
const { basePath, credential } = takeCredentials();
/** @type {ReturnType<typeof createClient> | null} dropped on a 401 */
let api = credential ? createClient(basePath, credential) : null;

/** @type {"loading" | "invalid" | "failed" | "ready"} */
let phase = "loading";
/** @type {Me | null} */
let me = null;
/** @type {string | null} */
let failure = null;
/** @type {string | null} a data-key to focus after the next render */
let focusAfterRender = null;
/** @type {import("./views.js").Ui} */
const ui = { busy: null, errors: {}, grant: null, confirmErase: false, basePath };

/* ---------------------------------------------------------------- render */

function render() {
  const active = document.activeElement;
  const keep = active && content.contains(active) ? active.getAttribute("data-key") : null;
  const restore = focusAfterRender || keep;
  focusAfterRender = null;
  content.setAttribute("aria-busy", phase === "loading" ? "true" : "false");
  content.replaceChildren(view());
  if (restore) {
    const target = /** @type {HTMLElement | null} */ (content.querySelector(`[data-key="${restore}"]`));
    if (target) target.focus();
  }
}

/** @returns {HTMLElement} */
function view() {
  switch (phase) {
    case "invalid":
      return messageCard("alert", t("manage.invalid.title"), t("manage.invalid.body"));
    case "failed":
      return messageCard("alert", t("manage.failed.title"), failure || t("manage.failed.body"),
        h("p", { class: "actions" }, h("button", {
          type: "button", class: "button button--primary", "data-key": "retry", onclick: retry,
        }, t("action.retry"))));
    case "ready":
      return me ? pageView(me, ui, actions) : loadingView(t("manage.loading"));
    default:
      return loadingView(t("manage.loading"));
  }
}

/* ---------------------------------------------------------------- loading */

/** The link is not (or no longer) valid: forget the secret and say so. */
function invalid() {
  api = null;
  me = null;
  phase = "invalid";
  focusAfterRender = "page-title";
  render();
  say(`${t("manage.invalid.title")}. ${t("manage.invalid.body")}`);
}

/**
 * Anything a request can throw: a 401 ends the page; the rest is a message.
 * @param {unknown} err
 * @returns {string} what to tell the participant
 */
function problemText(err) {
  if (err instanceof Unreachable) return t("manage.unreachable");
  if (err instanceof Refused) return err.message;
  return t("error.generic.title");
}

/** Read `/me` again (the caller renders); false when the page cannot show it (then it says why). */
async function reload() {
  if (!api) return false;
  try {
    me = await api.me();
  } catch (err) {
    if (err instanceof Unauthorized) {
      invalid();
      return false;
    }
    phase = "failed";
    failure = problemText(err);
    focusAfterRender = "page-title";
    render();
    say(failure);
    return false;
  }
  const wanted = i18n.pick([me.participant.language, ...i18n.browserLanguages()]) || "en";
  if (wanted !== i18n.language()) await i18n.use(wanted).catch(() => "en");
  phase = "ready";
  return true;
}

function retry() {
  phase = "loading";
  focusAfterRender = null;
  render();
  reload().then((ok) => {
    if (!ok) return;
    focusAfterRender = "page-title";
    render();
    say(t("manage.ready"));
  });
}

/* ---------------------------------------------------------------- actions */

/**
 * @param {Purpose} p
 * @param {string} choice
 * @param {Record<string, string>} [fields]
 */
async function decide(p, choice, fields) {
  if (!api || !me || ui.busy) return;
  ui.busy = p.key;
  ui.errors[p.key] = null;
  render();
  /** @type {Parameters<typeof api.decide>[0]} */
  const decision = { event_id: crypto.randomUUID(), choices: { [p.key]: choice } };
  if (fields) decision.fields = fields;
  // The notice this choice was made on: if it changed meanwhile, the server refuses the choice.
  if (me.notice.content_hash) decision.seen = { notice_hash: me.notice.content_hash };
  /** @type {string} */
  let message;
  try {
    await api.decide(decision);
    if (ui.grant && ui.grant.purpose === p.key) ui.grant = null;
    message = "";
  } catch (err) {
    if (err instanceof Unauthorized) {
      invalid();
      return;
    }
    message = refusedChoice(p, choice, fields, err);
  } finally {
    ui.busy = null;
  }
  if (!(await reload()) || !me) return;
  render();
  // The button pressed usually goes (nothing left to choose): keep the focus on its purpose.
  if (!content.contains(document.activeElement)) {
    /** @type {HTMLElement | null} */ (content.querySelector(`[data-key="title-${p.key}"]`))?.focus();
  }
  say(message || t("announce.saved", { purpose: p.title, state: i18n.stateLabel(currentState(me, p)) }));
}

/**
 * A refused choice: ask for the data it needs (as the widget does), or show the server's words.
 * @param {Purpose} p
 * @param {string} choice
 * @param {Record<string, string> | undefined} fields
 * @param {unknown} err
 * @returns {string} what to announce
 */
function refusedChoice(p, choice, fields, err) {
  const wanted = err instanceof Refused ? serverFieldErrors(err.errors) : {};
  if (err instanceof Refused && (choice === "granted" || choice === "not_objected") && Object.keys(wanted).length &&
      (err.code === "missing_field" || err.code === "validation_failed")) {
    const values = ui.grant && ui.grant.purpose === p.key ? ui.grant.values : { ...(fields || {}) };
    /** @type {Record<string, string>} */
    const errors = {};
    for (const [field, text] of Object.entries(wanted)) if (values[field]) errors[field] = text;
    const needs = [...new Set([...Object.keys(fields || {}), ...Object.keys(wanted)])];
    ui.grant = { purpose: p.key, choice, needs, values, errors };
    focusAfterRender = `grant-${Object.keys(wanted)[0]}`;
    return choice === "granted" ? t("grant.legend", { purpose: p.title }) : t("grant.legend_resume", { purpose: p.title });
  }
  const text = err instanceof Refused && err.code === "stale_notice" ? t("notice.changed") : problemText(err);
  ui.errors[p.key] = text;
  ui.grant = null;
  return `${t("announce.not_saved", { purpose: p.title })} ${text}`;
}

/** @type {import("./views.js").ManageActions} */
const actions = {
  choose(p, choice) {
    if (ui.busy || !me) return;
    ui.confirmErase = false;
    const needs = choice === "granted"
      ? (p.grant_fields || []).filter((field) => !(me && field in me.fields)) : [];
    if (needs.length) {
      // The data this grant needs is asked now, with the grant, and not before.
      ui.grant = { purpose: p.key, choice, needs, values: {}, errors: {} };
      focusAfterRender = `grant-${needs[0]}`;
      render();
      say(t("grant.legend", { purpose: p.title }));
      return;
    }
    ui.grant = null;
    decide(p, choice);
  },
  submitGrant(p, event) {
    event.preventDefault();
    const grant = ui.grant;
    if (!grant || ui.busy) return;
    grant.errors = validate(grant.needs, grant.values);
    const invalidFields = Object.keys(grant.errors);
    if (invalidFields.length) {
      focusAfterRender = `grant-${invalidFields[0]}`;
      render();
      say(grant.errors[invalidFields[0]]);
      return;
    }
    /** @type {Record<string, string>} */
    const fields = {};
    for (const field of grant.needs) fields[field] = grant.values[field];
    focusAfterRender = `title-${p.key}`;
    decide(p, grant.choice, fields);
  },
  cancelGrant() {
    const grant = ui.grant;
    ui.grant = null;
    focusAfterRender = grant ? `${grant.choice}-${grant.purpose}` : null;
    render();
  },
  async download() {
    if (!api || ui.busy) return;
    ui.busy = "export";
    try {
      const file = await api.exportFile();
      saveFile(file.name, file.blob);
      say(t("manage.export.saved"));
    } catch (err) {
      if (err instanceof Unauthorized) {
        invalid();
        return;
      }
      say(`${t("manage.export.failed")} ${problemText(err)}`);
    } finally {
      ui.busy = null;
    }
  },
  askErase() {
    if (ui.busy) return;
    ui.confirmErase = !ui.confirmErase;
    focusAfterRender = ui.confirmErase ? "erase-confirm-title" : "erase";
    render();
  },
  cancelErase() {
    ui.confirmErase = false;
    focusAfterRender = "erase";
    render();
  },
  async erase() {
    if (!api || ui.busy) return;
    ui.busy = "erase";
    render();
    /** @type {string} */
    let message;
    try {
      const result = await api.erase();
      message = result.erased.length
        ? t("manage.erase.done", { data: i18n.formatList(result.erased.map(dataPhrase)) })
        : t("manage.erase.nothing");
      ui.confirmErase = false;
      ui.grant = null;
    } catch (err) {
      if (err instanceof Unauthorized) {
        invalid();
        return;
      }
      message = `${t("manage.erase.failed")} ${problemText(err)}`;
    } finally {
      ui.busy = null;
    }
    if (!(await reload())) return;
    focusAfterRender = "data-title";
    render();
    say(message);
  },
  saveReceipt(id, jws) {
    saveReceipt(id, jws);
    say(t("receipt.saved"));
  },
};

/**
 * @param {string} name
 * @param {Blob} blob
 */
function saveFile(name, blob) {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// Escape closes the erasure's confirmation, as it would a dialog.
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && ui.confirmErase && !ui.busy) actions.cancelErase();
});

// A new key pasted into the address bar is a new link: start over with it.
window.addEventListener("hashchange", () => {
  if (new URLSearchParams(location.hash.slice(1)).get("key")) location.reload();
});

async function boot() {
  await i18n.use(i18n.pick(i18n.browserLanguages()) || "en").catch(() => "en");
  if (!api) {
    invalid();
    return;
  }
  render();
  if (await reload()) {
    focusAfterRender = "page-title";
    render();
    say(t("manage.ready"));
  }
}

boot();
