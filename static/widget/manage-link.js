/**
 * "Manage my choices later": the link to this participant's manage page (their secret in its
 * fragment, opened in a new tab) and, where the server sends email, the same link by email.
 *
 * The address typed here is sent once with `send_manage_link` and then forgotten: it is not kept
 * in the widget's state after the answer, and the server neither stores nor logs it.
 */

import { t } from "../i18n.js";
import { h, icon } from "./dom.js";
import { fieldInput } from "./fields.js";
import { state } from "./state.js";

/**
 * @typedef {object} ManageActions
 * @property {() => void} openEmail show the email form
 * @property {(event: Event) => void} sendEmail
 * @property {() => void} closeEmail
 */

/**
 * @param {string} basePath
 * @param {ManageActions} actions
 */
export function manageBlock(basePath, actions) {
  const person = state.participant;
  if (!person || !person.resume) return null;
  const href = `${basePath}/manage/${encodeURIComponent(person.id)}#key=${encodeURIComponent(person.resume)}`;
  const mail = state.mail;
  return h("div", { class: "manage" },
    h("p", { class: "manage-links" },
      h("a", { class: "link", href, target: "_blank", rel: "noopener noreferrer", "data-key": "manage-link" },
        t("later.link"), h("span", { class: "visually-hidden", text: ` ${t("link.new_tab")}` })),
      state.emailLink && !mail.open ? h("button", {
        type: "button", class: "link-button", "data-key": "manage-email", onclick: actions.openEmail,
      }, t("later.email")) : null),
    state.emailLink && mail.open ? emailForm(actions) : null,
    mail.status ? h("p", {
      class: `manage-status${mail.failed ? " status--error" : ""}`, "data-key": "manage-status",
    }, mail.failed ? icon("alert") : null, h("span", { text: mail.status })) : null);
}

/** @param {ManageActions} actions */
function emailForm(actions) {
  const mail = state.mail;
  return h("form", { class: "grant", novalidate: true, "aria-labelledby": "manage-email-legend", onsubmit: actions.sendEmail },
    h("p", { id: "manage-email-legend", class: "grant-legend", text: t("later.email_legend") }),
    fieldInput("manage", "email", mail.values, mail.errors),
    h("p", { class: "hint", text: t("later.email_hint") }),
    h("div", { class: "actions" },
      h("button", {
        type: "submit", class: "button button--primary", "data-key": "manage-send",
        "aria-disabled": mail.sending ? "true" : null,
      }, mail.sending ? t("status.saving") : t("later.send")),
      h("button", { type: "button", class: "button", "data-key": "manage-cancel", onclick: actions.closeEmail },
        t("action.cancel"))));
}
