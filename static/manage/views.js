/**
 * What the manage page shows: the call, the notice with the participant's state per purpose and
 * what they may still do about it, the personal data held now, their ledger events and receipts.
 * Pure views over the server's `/me` answer and the page's own little state; main.js acts.
 */

import { formatList, language, stateLabel, t, tp } from "../i18n.js";
import { h, icon, safeUrl } from "../widget/dom.js";
import { dataPhrase, fieldLabel } from "../widget/fields.js";
import { grantForm } from "../widget/choices.js";
import { basisName } from "../widget/notice-view.js";
import { receiptPayload } from "../widget/receipts.js";

/** @typedef {import("./api.js").Me} Me */
/** @typedef {import("../widget/state.js").Purpose} Purpose */

/**
 * @typedef {object} Grant the data a choice asks for (a grant, or taking back an objection)
 * @property {string} purpose
 * @property {string} choice
 * @property {string[]} needs
 * @property {Record<string, string>} values
 * @property {Record<string, string>} errors
 */

/**
 * @typedef {object} Ui
 * @property {string | null} busy what is being sent: a purpose key, "export" or "erase"
 * @property {Record<string, string | null>} errors the server's refusal, by purpose key
 * @property {Grant | null} grant
 * @property {boolean} confirmErase the erasure asks for confirmation
 * @property {string} basePath
 */

/**
 * @typedef {object} ManageActions
 * @property {(p: Purpose, choice: string) => void} choose
 * @property {(p: Purpose, event: Event) => void} submitGrant
 * @property {() => void} cancelGrant
 * @property {() => void} download
 * @property {() => void} askErase
 * @property {() => void} erase
 * @property {() => void} cancelErase
 * @property {(id: string, jws: string) => void} saveReceipt
 */

/* ---------------------------------------------------------------- words */

/** @param {string | null | undefined} iso */
export function when(iso) {
  const date = new Date(String(iso));
  if (!iso || Number.isNaN(date.getTime())) return "–";
  return new Intl.DateTimeFormat(language(), { dateStyle: "medium", timeStyle: "short" }).format(date);
}

/** @param {string | null | undefined} iso */
function day(iso) {
  const date = new Date(String(iso));
  if (!iso || Number.isNaN(date.getTime())) return "–";
  return new Intl.DateTimeFormat(language(), { dateStyle: "long" }).format(date);
}

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

/** @param {string} state a ledger event's state */
function eventLabel(state) {
  switch (state) {
    case "notice_served": return t("manage.event.notice_served");
    case "erased": return t("manage.event.erased");
    default: return stateLabel(state);
  }
}

/** @param {string} channel */
function channelLabel(channel) {
  switch (channel) {
    case "widget": return t("manage.channel.widget");
    case "manage": return t("manage.channel.manage");
    case "api": return t("manage.channel.api");
    case "server": return t("manage.channel.server");
    default: return channel;
  }
}

/** @param {string} choice a choice this page can send */
function choiceLabel(choice) {
  switch (choice) {
    case "granted": return t("action.accept");
    case "denied": return t("action.decline");
    case "withdrawn": return t("manage.action.withdraw");
    case "objected": return t("action.object");
    default: return t("manage.action.stop_objecting");
  }
}

/** @param {number} days */
function retentionText(days) {
  const n = Number(days);
  return Number.isFinite(n) && n > 0 ? tp("retention.days", n) : t("retention.end_of_call");
}

/**
 * @param {string} label
 * @param {string} value
 */
function fact(label, value) {
  return h("span", { class: "fact" }, h("span", { class: "fact-label", text: `${label}: ` }),
    h("span", { class: "fact-value", text: value }));
}

/**
 * @param {string} href
 * @param {string} text
 */
function newTabLink(href, text) {
  return h("a", { class: "link", href, target: "_blank", rel: "noopener noreferrer" },
    text, h("span", { class: "visually-hidden", text: ` ${t("link.new_tab")}` }));
}

/* ---------------------------------------------------------------- what may be chosen */

/**
 * The choices this participant may still make for `p`, as `rights` allows: withdrawing, declining
 * and objecting until retention has passed; accepting and taking an objection back only while
 * the call is open (the server refuses them after the end with `call_ended`).
 * @param {Purpose} p
 * @param {string} current
 * @param {Me["rights"]} rights
 * @returns {string[]}
 */
export function offeredChoices(p, current, rights) {
  const later = rights.withdraw_or_object;
  if (p.lawful_basis === "consent") {
    if (current === "granted") return later ? ["withdrawn"] : [];
    const offered = rights.grant ? ["granted"] : [];
    if (current === "pending" && later) offered.push("denied");
    return offered;
  }
  if (p.lawful_basis === "legitimate_interests") {
    if (current === "objected") return rights.grant ? ["not_objected"] : [];
    return later ? ["objected"] : [];
  }
  return [];
}

/**
 * @param {Purpose} p
 * @returns {string}
 */
function initialState(p) {
  return p.lawful_basis === "consent" ? "pending" : p.lawful_basis === "legitimate_interests" ? "not_objected" : "informed";
}

/**
 * @param {Me} me
 * @param {Purpose} p
 */
export function currentState(me, p) {
  return me.state[p.key] || initialState(p);
}

/* ---------------------------------------------------------------- the page */

/**
 * @param {Me} me
 * @param {Ui} ui
 * @param {ManageActions} actions
 */
export function pageView(me, ui, actions) {
  return h("div", { class: "manage-stack" },
    headerCard(me),
    choicesCard(me, ui, actions),
    dataCard(me, ui, actions),
    historyCard(me),
    receiptsCard(me, ui, actions),
    rightsCard(me));
}

/** @param {Me} me */
function headerCard(me) {
  const notice = me.notice;
  const controller = notice.controller || {};
  const ended = me.call.status !== "open";
  return h("header", { class: "card manage-head" },
    h("h1", { class: "title", id: "page-title", tabindex: "-1", "data-key": "page-title", text: t("manage.title") }),
    h("dl", { class: "manage-facts" },
      h("dt", { text: t("receipt.call") }),
      h("dd", { "data-key": "call-title" }, h("span", { text: me.call.title || notice.name || "–" }), " ",
        h("span", { class: `call-status call-status--${ended ? "ended" : "open"}`, "data-status": me.call.status },
          ended ? t("manage.call.ended", { date: when(me.call.ended_at) }) : t("manage.call.open"))),
      h("dt", { text: t("manage.notice") }),
      h("dd", { lang: notice.language, text: notice.name || "–" }),
      controller.name ? [h("dt", { text: t("receipt.controller") }),
        h("dd", null, controller.name, controller.contact_email ? " " : null,
          controller.contact_email ? h("a", { class: "link", href: `mailto:${controller.contact_email}`, text: controller.contact_email }) : null)] : null,
      h("dt", { text: t("receipt.participant") }),
      h("dd", null, t("manage.pseudonym", { n: me.participant.number }), " ", h("code", { text: me.participant.id }))),
    h("p", { class: "manage-rights", "data-key": "rights-now", text: rightsNow(me.rights) }));
}

/** @param {Me["rights"]} rights */
function rightsNow(rights) {
  if (rights.grant) return t("manage.rights.open");
  if (rights.withdraw_or_object) return t("manage.rights.after_end", { date: day(rights.decisions_until) });
  return t("manage.rights.passed");
}

/**
 * @param {Me} me
 * @param {Ui} ui
 * @param {ManageActions} actions
 */
function choicesCard(me, ui, actions) {
  const notice = me.notice;
  return h("section", { class: "card", "aria-labelledby": "choices-title" },
    h("h2", { class: "section-heading", id: "choices-title", text: t("manage.choices.title") }),
    h("ul", { class: "purpose-list manage-purposes", role: "list" },
      notice.purposes.map((p) => h("li", null, purposeItem(me, p, ui, actions)))));
}

/**
 * @param {Me} me
 * @param {Purpose} p
 * @param {Ui} ui
 * @param {ManageActions} actions
 */
function purposeItem(me, p, ui, actions) {
  const notice = me.notice;
  const titleId = `purpose-${p.key}-title`;
  const statusId = `purpose-${p.key}-status`;
  const current = currentState(me, p);
  const data = (p.data || []).map(dataPhrase);
  const error = ui.errors[p.key];
  const saving = ui.busy === p.key;
  const offered = offeredChoices(p, current, me.rights);
  return h("article", { class: `purpose purpose--${current}`, "aria-labelledby": titleId, "data-purpose": p.key },
    h("div", { class: "purpose-head" },
      h("h3", { id: titleId, class: "purpose-title", tabindex: "-1", "data-key": `title-${p.key}`, lang: notice.language, text: p.title }),
      h("span", { class: `basis basis--${p.lawful_basis}`, text: basisName(p.lawful_basis) })),
    h("p", { class: "facts" },
      fact(t("fact.data"), data.length ? formatList(data) : t("data.none")),
      fact(t("fact.retention"), retentionText(p.retention_days))),
    p.description ? h("p", { class: "purpose-description", lang: notice.language, text: p.description }) : null,
    p.legitimate_interest ? h("p", { class: "purpose-description muted" }, `${t("detail.legitimate_interest")}: `,
      h("span", { lang: notice.language, text: p.legitimate_interest })) : null,
    h("p", { class: `status${error ? " status--error" : ""}`, id: statusId, "data-state": current },
      error ? icon("alert") : null,
      h("span", { text: error ? `${stateSentence(current)} ${error}` : stateSentence(current) }),
      saving ? h("span", { class: "saving" },
        h("span", { class: "spinner spinner--small", "aria-hidden": "true" }), t("status.saving")) : null),
    offered.length ? h("div", { class: "actions purpose-actions", role: "group", "aria-labelledby": titleId },
      offered.map((choice) => h("button", {
        type: "button", class: "button", "data-key": `${choice}-${p.key}`, "data-choice": choice,
        "aria-describedby": statusId, "aria-disabled": ui.busy ? "true" : null,
        onclick: () => actions.choose(p, choice),
      }, choiceLabel(choice)))) : null,
    ui.grant && ui.grant.purpose === p.key ? grantForm(p, ui.grant, actions) : null);
}

/**
 * @param {Me} me
 * @param {Ui} ui
 * @param {ManageActions} actions
 */
function dataCard(me, ui, actions) {
  const held = Object.entries(me.fields || {});
  const erasureRecorded = me.events.some((e) => e.state === "erased");
  return h("section", { class: "card", "aria-labelledby": "data-title" },
    h("h2", { class: "section-heading", id: "data-title", tabindex: "-1", "data-key": "data-title", text: t("manage.data.title") }),
    held.length
      ? h("dl", { class: "manage-facts held-data", "data-key": "held" }, held.map(([name, value]) => [
        h("dt", { text: fieldLabel(name) }), h("dd", { "data-field": name, text: value })]))
      : h("p", { "data-key": "held-none", text: t("manage.data.none") }),
    h("p", { class: "hint", text: t("manage.data.hint", { n: me.participant.number }) }),
    h("div", { class: "actions" },
      h("button", {
        type: "button", class: "button", "data-key": "export", "aria-disabled": ui.busy ? "true" : null,
        onclick: actions.download,
      }, t("manage.export.button")),
      held.length || !erasureRecorded ? h("button", {
        type: "button", class: "button button--danger", "data-key": "erase", "aria-expanded": ui.confirmErase ? "true" : "false",
        "aria-controls": ui.confirmErase ? "erase-confirm" : null, "aria-disabled": ui.busy ? "true" : null,
        onclick: actions.askErase,
      }, t("manage.erase.button")) : null),
    ui.confirmErase ? eraseConfirmation(held.map(([name]) => name), actions) : null);
}

/**
 * @param {string[]} held
 * @param {ManageActions} actions
 */
function eraseConfirmation(held, actions) {
  return h("div", {
    class: "confirm", id: "erase-confirm", role: "group", "aria-labelledby": "erase-confirm-title",
    "aria-describedby": "erase-confirm-text",
  },
  h("h3", { class: "confirm-title", id: "erase-confirm-title", tabindex: "-1", "data-key": "erase-confirm-title", text: t("manage.erase.confirm_title") }),
  h("p", {
    id: "erase-confirm-text",
    text: held.length ? t("manage.erase.confirm_text", { data: formatList(held.map(dataPhrase)) }) : t("manage.erase.confirm_nothing"),
  }),
  h("div", { class: "actions" },
    h("button", { type: "button", class: "button button--danger-strong", "data-key": "erase-confirm", onclick: actions.erase },
      t("manage.erase.confirm_button")),
    h("button", { type: "button", class: "button", "data-key": "erase-cancel", onclick: actions.cancelErase },
      t("action.cancel"))));
}

/** @param {Me} me */
function historyCard(me) {
  const titles = new Map(me.notice.purposes.map((p) => [p.key, p.title]));
  return h("section", { class: "card", "aria-labelledby": "history-title" },
    h("h2", { class: "section-heading", id: "history-title", text: t("manage.history.title") }),
    h("p", { class: "hint", text: t("manage.history.hint") }),
    h("div", { class: "table-wrap", role: "region", tabindex: "0", "aria-labelledby": "history-title" },
      h("table", { class: "history" },
        h("thead", null, h("tr", null,
          h("th", { scope: "col", text: t("manage.history.time") }),
          h("th", { scope: "col", text: t("receipt.purpose") }),
          h("th", { scope: "col", text: t("manage.history.what") }),
          h("th", { scope: "col", text: t("manage.history.channel") }))),
        h("tbody", null, me.events.map((e) => h("tr", {
          "data-purpose": e.purpose || "", "data-state": e.state, "data-channel": e.channel,
        },
        h("td", { text: when(e.recorded_at) }),
        h("td", { lang: e.purpose && titles.has(e.purpose) ? me.notice.language : null,
          text: e.purpose ? titles.get(e.purpose) || e.purpose : "–" }),
        h("td", { text: eventLabel(e.state) }),
        h("td", { text: channelLabel(e.channel) })))))));
}

/**
 * @param {Me} me
 * @param {Ui} ui
 * @param {ManageActions} actions
 */
function receiptsCard(me, ui, actions) {
  const lang = language();
  return h("section", { class: "card", "aria-labelledby": "receipts-title" },
    h("h2", { class: "section-heading", id: "receipts-title", text: t("manage.receipts.title") }),
    me.receipts.length ? h("p", { class: "hint", text: t("manage.receipts.hint") }) : null,
    me.receipts.length
      ? h("ul", { class: "receipt-list", role: "list" }, me.receipts.map((r) => {
        const lineId = `receipt-${r.id}`;
        return h("li", { class: "receipt", "data-receipt": r.id },
          h("p", { id: lineId },
            h("span", { class: "receipt-label", text: `${t("summary.receipt")} ` }), h("code", { text: r.id }),
            h("span", { class: "muted", text: ` · ${when(issuedAt(r.jws))}` })),
          h("p", { class: "receipt-actions" },
            h("button", {
              type: "button", class: "link-button", "data-key": `receipt-download-${r.id}`, "aria-describedby": lineId,
              onclick: () => actions.saveReceipt(r.id, r.jws),
            }, t("receipt.download")),
            h("a", {
              class: "link", href: `${ui.basePath}/receipt#${new URLSearchParams({ jws: r.jws, lang })}`,
              target: "_blank", rel: "noopener noreferrer", "aria-describedby": lineId, "data-key": `receipt-print-${r.id}`,
            }, t("receipt.print"), h("span", { class: "visually-hidden", text: ` ${t("link.new_tab")}` }))));
      }))
      : h("p", { text: t("manage.receipts.none") }));
}

/** @param {string} jws */
function issuedAt(jws) {
  try {
    return String(receiptPayload(jws).issued_at || "");
  } catch {
    return "";
  }
}

/** @param {Me} me */
function rightsCard(me) {
  const notice = me.notice;
  const policy = safeUrl(notice.privacy_policy_url);
  const authority = notice.supervisory_authority;
  const authorityUrl = authority ? safeUrl(authority.url) : null;
  return h("section", { class: "card", "aria-labelledby": "rights-title" },
    h("h2", { class: "section-heading", id: "rights-title", text: t("rights.title") }),
    h("p", { class: "rights-text", text: t("rights.full") }),
    policy || (authority && authorityUrl) ? h("p", { class: "actions manage-links" },
      policy ? newTabLink(policy, t("notice.privacy_policy")) : null,
      authority && authorityUrl ? newTabLink(authorityUrl, authority.name) : null) : null);
}

/* ---------------------------------------------------------------- messages */

/**
 * @param {"alert" | "ended"} kind
 * @param {string} title
 * @param {string} body
 * @param {HTMLElement | null} [extra]
 */
export function messageCard(kind, title, body, extra) {
  return h("div", { class: `card message message--${kind}`, role: "alert" },
    h("div", { class: "message-icon" }, icon(kind)),
    h("div", { class: "message-body" },
      h("h1", { class: "message-title", id: "page-title", tabindex: "-1", "data-key": "page-title", text: title }),
      h("p", { text: body }), extra || null));
}

/** @param {string} text */
export function loadingView(text) {
  return h("div", { class: "card card--quiet loading" },
    h("span", { class: "spinner", "aria-hidden": "true" }), h("p", { text }));
}
