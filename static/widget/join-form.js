/**
 * The join form: the data the server says a join needs (`join_fields`), shown under the notice
 * that explains it, never on its own.
 */

import { formatList, t } from "../i18n.js";
import { h } from "./dom.js";
import { fieldInput } from "./fields.js";
import { purposesNeeding } from "./notice-view.js";
import { state } from "./state.js";

/**
 * The form, or null when the join needs nothing (the widget then joins by itself).
 * @param {(event: Event) => void} submit
 */
export function joinForm(submit) {
  if (state.joined || !state.notice || !state.joinFields.length) return null;
  const busy = state.phase === "joining";
  const why = purposesNeeding(state.notice, state.joinFields);
  return h("form", { class: "join", novalidate: true, "aria-labelledby": "join-title", onsubmit: submit },
    h("h2", { id: "join-title", class: "join-title", text: t("join.title") }),
    h("p", { class: "hint", text: why.length ? t("join.needed_for", { purposes: formatList(why) }) : t("join.needed") }),
    h("div", { class: "join-fields" },
      state.joinFields.map((field) => fieldInput("join", field, state.joinValues, state.joinErrors))),
    h("div", { class: "actions" },
      h("button", {
        type: "submit", class: "button button--primary", "data-key": "join-submit",
        "aria-disabled": busy ? "true" : null,
      }, busy ? t("status.joining") : t("action.join"))));
}
