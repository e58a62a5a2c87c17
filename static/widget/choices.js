/**
 * The participant's choices: accept or decline (consent), object (legitimate interest), the data a
 * grant asks for, and the compact summary once everything is decided.
 */

import { stateLabel, t, tp } from "../i18n.js";
import { h, icon } from "./dom.js";
import { fieldInput } from "./fields.js";
import { manageBlock } from "./manage-link.js";
import { receiptLine } from "./receipts.js";
import { isConsent, isObjectable, isSaving, pendingCount, purposes, shownState, state } from "./state.js";

/** @typedef {import("./state.js").Purpose} Purpose */

/**
 * @typedef {object} ChoiceActions
 * @property {(p: Purpose) => void} accept
 * @property {(p: Purpose) => void} decline
 * @property {(p: Purpose) => void} toggleObjection
 * @property {(p: Purpose, event: Event) => void} submitGrant
 * @property {() => void} cancelGrant
 * @property {() => void} done
 * @property {() => void} change
 * @property {import("./receipts.js").ReceiptActions} receipt
 */

/** @param {string} choice */
function stateSentence(choice) {
  switch (choice) {
    case "pending": return t("state.pending.sentence");
    case "granted": return t("state.granted.sentence");
    case "denied": return t("state.denied.sentence");
    case "withdrawn": return t("state.withdrawn.sentence");
    case "objected": return t("state.objected.sentence");
    case "not_objected": return t("state.not_objected.sentence");
    default: return t("state.informed.sentence");
  }
}

/**
 * @param {string} key
 * @param {string} label
 * @param {boolean} pressed
 * @param {() => void} onclick
 * @param {string} describedBy
 */
function choiceButton(key, label, pressed, onclick, describedBy) {
  return h("button", {
    type: "button", class: `choice${pressed ? " choice--on" : ""}`,
    "aria-pressed": pressed ? "true" : "false", "aria-describedby": describedBy,
    "data-key": key, onclick,
  }, pressed ? icon("check") : null, h("span", { text: label }));
}

/**
 * @param {Purpose} p
 * @param {string} choice
 */
function statusLine(p, choice) {
  const error = state.errors[p.key];
  return h("p", { class: `status${error ? " status--error" : ""}`, id: `purpose-${p.key}-status` },
    error ? icon("alert") : null,
    h("span", { text: error || stateSentence(choice) }),
    isSaving(p) ? h("span", { class: "saving" },
      h("span", { class: "spinner spinner--small", "aria-hidden": "true" }), t("status.saving")) : null);
}

/**
 * A purpose's controls, or null where there is nothing to decide (or not joined yet).
 * @param {Purpose} p
 * @param {string} titleId
 * @param {ChoiceActions} actions
 */
export function controls(p, titleId, actions) {
  if (!state.joined || !(isConsent(p) || isObjectable(p))) return null;
  const choice = shownState(p);
  const statusId = `purpose-${p.key}-status`;
  const wrap = h("div", { class: "controls" });
  if (isConsent(p)) {
    wrap.appendChild(h("div", { class: "choices", role: "group", "aria-labelledby": titleId },
      choiceButton(`accept-${p.key}`, t("action.accept"), choice === "granted", () => actions.accept(p), statusId),
      choiceButton(`decline-${p.key}`, t("action.decline"), choice === "denied" || choice === "withdrawn",
        () => actions.decline(p), statusId)));
  } else {
    wrap.appendChild(h("div", { class: "choices choices--single", role: "group", "aria-labelledby": titleId },
      choiceButton(`object-${p.key}`, t("action.object"), choice === "objected", () => actions.toggleObjection(p), statusId)));
  }
  wrap.appendChild(statusLine(p, choice));
  if (state.grant && state.grant.purpose === p.key) wrap.appendChild(grantForm(p, state.grant, actions));
  return wrap;
}

/**
 * @typedef {{purpose: string, choice: string, needs: string[], values: Record<string, string>,
 *   errors: Record<string, string>}} GrantAsk the data a choice asks for, while asked
 */

/**
 * The data a choice of `p` needs, asked together with it (never before): the widget's and the
 * manage page's form alike.
 * @param {Purpose} p
 * @param {GrantAsk} grant
 * @param {{submitGrant: (p: Purpose, event: Event) => void, cancelGrant: () => void}} actions
 */
export function grantForm(p, grant, actions) {
  const legendId = `grant-${p.key}-legend`;
  return h("form", {
    class: "grant", novalidate: true, "aria-labelledby": legendId,
    onsubmit: (/** @type {Event} */ event) => actions.submitGrant(p, event),
  },
  h("p", {
    id: legendId, class: "grant-legend",
    text: grant.choice === "granted" ? t("grant.legend", { purpose: p.title }) : t("grant.legend_resume", { purpose: p.title }),
  }),
  grant.needs.map((field) => fieldInput("grant", field, grant.values, grant.errors)),
  h("p", { class: "hint", text: t("grant.hint") }),
  h("div", { class: "actions" },
    h("button", { type: "submit", class: "button button--primary", "data-key": "grant-submit" },
      grant.choice === "granted" ? t("action.confirm_accept") : t("action.share")),
    h("button", { type: "button", class: "button", "data-key": "grant-cancel", onclick: actions.cancelGrant },
      t("action.cancel"))));
}

/**
 * The foot of the notice once joined: how many choices are left, or "Done".
 * @param {ChoiceActions} actions
 */
export function noticeFoot(actions) {
  if (!state.joined) return null;
  const pending = pendingCount();
  return h("div", { class: "notice-foot" },
    pending > 0
      ? h("p", { class: "muted", text: tp("notice.pending", pending) })
      : h("button", { type: "button", class: "button button--primary", "data-key": "done", onclick: actions.done },
        t("action.done")),
    receiptLine(state.receipt, actions.receipt));
}

/**
 * The compact summary of the participant's choices, and the way to manage them later.
 * @param {ChoiceActions | null} actions null once nothing can change here (the call ended)
 * @param {{basePath: string, actions: import("./manage-link.js").ManageActions}} manage
 */
export function summaryView(actions, manage) {
  const list = purposes().filter((p) => isConsent(p) || isObjectable(p));
  const notice = state.notice;
  const root = h("section", { class: "card summary", "aria-labelledby": "summary-title" },
    h("div", { class: "summary-head" },
      h("h1", { id: "summary-title", class: "title", tabindex: "-1", "data-key": "summary-title", text: t("summary.title") }),
      notice && notice.name ? h("p", { class: "muted", lang: notice.language, text: notice.name }) : null));
  if (list.length) {
    root.appendChild(h("ul", { class: "summary-list", role: "list" }, list.map((p) => {
      const choice = shownState(p);
      const mark = choice === "granted" || choice === "not_objected" ? "check" : choice === "pending" ? "info" : "cross";
      return h("li", { class: `summary-item summary-item--${choice}` },
        h("span", { class: "summary-mark" }, icon(mark)),
        h("span", { class: "summary-purpose", lang: notice ? notice.language : null, text: p.title }),
        h("span", { class: "summary-state", text: stateLabel(choice) }));
    })));
  } else {
    root.appendChild(h("p", { text: t("summary.nothing_to_choose") }));
  }
  root.appendChild(h("p", { class: "hint", text: t("summary.rights") }));
  root.appendChild(h("div", { class: "summary-foot" },
    actions ? h("button", { type: "button", class: "button button--primary", "data-key": "change", onclick: actions.change },
      t("action.change")) : null,
    receiptLine(state.receipt, actions ? actions.receipt : null)));
  root.appendChild(manageBlock(manage.basePath, manage.actions) || h("span", { hidden: true }));
  return root;
}
