/**
 * The notice as the participant reads it: who is responsible, every purpose with the data it uses
 * and how long it is kept, and the participant's rights; the full notice one action away.
 *
 * Works for any notice: only consent, only informational, only legitimate interest, any data
 * needs, one to many languages. Sections without purposes are simply left out.
 */

import { formatList, countryName, languageName, t, tp } from "../i18n.js";
import { h, safeUrl } from "./dom.js";
import { dataPhrase } from "./fields.js";
import { isConsent, shownState, state } from "./state.js";

/** @typedef {import("./state.js").Notice} Notice */
/** @typedef {import("./state.js").Purpose} Purpose */

/**
 * @typedef {object} NoticeSlots
 * @property {(p: Purpose, titleId: string) => HTMLElement | null} controls a purpose's choices
 * @property {HTMLElement | null} form the join form, or null once joined
 * @property {HTMLElement | null} foot what closes the card (pending count, Done)
 * @property {(code: string) => void} switchLanguage
 * @property {() => void} toggleDetails
 */

/** @param {string} basis */
export function basisName(basis) {
  switch (basis) {
    case "consent": return t("basis.consent.name");
    case "legitimate_interests": return t("basis.legitimate_interests.name");
    case "contract": return t("basis.contract.name");
    case "legal_obligation": return t("basis.legal_obligation.name");
    case "vital_interests": return t("basis.vital_interests.name");
    case "public_task": return t("basis.public_task.name");
    default: return basis;
  }
}

/** @param {string} basis */
function basisExplained(basis) {
  switch (basis) {
    case "consent": return t("basis.consent.explained");
    case "legitimate_interests": return t("basis.legitimate_interests.explained");
    case "contract": return t("basis.contract.explained");
    case "legal_obligation": return t("basis.legal_obligation.explained");
    case "vital_interests": return t("basis.vital_interests.explained");
    case "public_task": return t("basis.public_task.explained");
    default: return "";
  }
}

/** @param {number} days */
function retentionText(days) {
  const n = Number(days);
  return Number.isFinite(n) && n > 0 ? tp("retention.days", n) : t("retention.end_of_call");
}

/** @param {string} kind */
function processName(kind) {
  switch (kind) {
    case "audio": return t("process.audio");
    case "video": return t("process.video");
    case "chat": return t("process.chat");
    case "transcript": return t("process.transcript");
    case "voiceprint": return t("process.voiceprint");
    case "ai_summary": return t("process.ai_summary");
    default: return kind;
  }
}

/** @param {string} role */
function roleName(role) {
  switch (role) {
    case "processor": return t("recipient.processor");
    case "controller": return t("recipient.controller");
    case "public_authority": return t("recipient.public_authority");
    default: return role;
  }
}

/** @param {string} safeguard */
function safeguardName(safeguard) {
  switch (safeguard) {
    case "adequacy": return t("transfer.adequacy");
    case "standard_contractual_clauses": return t("transfer.standard_contractual_clauses");
    case "binding_corporate_rules": return t("transfer.binding_corporate_rules");
    case "derogation": return t("transfer.derogation");
    default: return safeguard;
  }
}

/**
 * @param {string} label
 * @param {string} value
 */
function fact(label, value) {
  return h("span", { class: "fact" }, h("span", { class: "fact-label", text: `${label}: ` }),
    h("span", { class: "fact-value", text: value }));
}

/** @param {string} address */
function mailLink(address) {
  return h("a", { class: "link", href: `mailto:${address}`, text: address });
}

/**
 * The notice card: header, purposes, rights, details, then the join form or the foot.
 * @param {Notice} notice
 * @param {NoticeSlots} slots
 */
export function noticeView(notice, slots) {
  const list = notice.purposes;
  const root = h("section", { class: "card notice", "aria-labelledby": "notice-title" });
  root.appendChild(noticeHeader(notice, slots));
  if (state.noticeChanged) {
    root.appendChild(h("p", { class: "note", role: "status", text: t("notice.changed") }));
  }
  if (state.changed) root.appendChild(changeNote(notice, state.changed));
  const body = h("div", {
    class: "notice-body", tabindex: "0", role: "region", "aria-label": t("notice.body_label"),
  });
  body.appendChild(h("ul", { class: "purpose-list", role: "list" },
    list.map((p) => h("li", null, purposeItem(p, notice, slots)))));
  body.appendChild(rightsBlock(notice));
  if (state.details) body.appendChild(detailsBlock(notice));
  root.appendChild(body);
  root.appendChild(h("div", { class: "notice-actions" },
    h("button", {
      type: "button", class: "link-button", "data-key": "details",
      "aria-expanded": state.details ? "true" : "false",
      onclick: slots.toggleDetails,
    }, state.details ? t("notice.less") : t("notice.full")),
    privacyLink(notice)));
  if (slots.form) root.appendChild(slots.form);
  if (slots.foot) root.appendChild(slots.foot);
  return root;
}

/**
 * @param {Notice} notice
 * @param {NoticeSlots} slots
 */
function noticeHeader(notice, slots) {
  const controller = notice.controller || {};
  const header = h("header", { class: "notice-head" });
  const titles = h("div", { class: "notice-titles" },
    h("h1", {
      class: "title", id: "notice-title", tabindex: "-1", "data-key": "notice-title",
      lang: notice.language, text: notice.name || t("widget.frame_title"),
    }));
  if (controller.name) {
    titles.appendChild(h("p", { class: "controller" },
      t("notice.controller", { name: controller.name }), " ",
      controller.contact_email ? mailLink(controller.contact_email) : null));
  }
  header.appendChild(titles);
  const languages = notice.languages || [];
  if (languages.length > 1) header.appendChild(languagePicker(languages, notice.language, slots));
  return header;
}

/**
 * @param {string[]} languages
 * @param {string} selected
 * @param {NoticeSlots} slots
 */
function languagePicker(languages, selected, slots) {
  const select = h("select", {
    id: "language", "data-key": "language",
    onchange: (/** @type {Event} */ event) =>
      slots.switchLanguage(/** @type {HTMLSelectElement} */ (event.target).value),
  }, languages.map((code) => h("option", {
    value: code, lang: code, selected: code === selected, text: languageName(code),
  })));
  return h("div", { class: "language" }, h("label", { for: "language", text: t("notice.language") }), select);
}

/**
 * One purpose: title and basis, what it uses and for how long, its choice (if any).
 * @param {Purpose} p
 * @param {Notice} notice
 * @param {NoticeSlots} slots
 */
function purposeItem(p, notice, slots) {
  const titleId = `purpose-${p.key}-title`;
  const item = h("article", { class: `purpose purpose--${shownState(p)}`, "aria-labelledby": titleId });
  const change = state.changed;
  const badge = !change ? null
    : change.added.includes(p.key) ? t("notice.badge_new")
      : change.changed.includes(p.key) ? t("notice.badge_changed") : null;
  item.appendChild(h("div", { class: "purpose-head" },
    h("h2", { id: titleId, class: "purpose-title", lang: notice.language },
      p.title, badge ? h("span", { class: "badge", "data-key": `badge-${p.key}`, text: badge }) : null),
    h("span", { class: `basis basis--${p.lawful_basis}`, text: basisName(p.lawful_basis) })));
  const data = (p.data || []).map(dataPhrase);
  const facts = h("p", { class: "facts" },
    fact(t("fact.data"), data.length ? formatList(data) : t("data.none")),
    fact(t("fact.retention"), retentionText(p.retention_days)));
  if (p.gates_recording) facts.appendChild(fact(t("fact.recording"), t("fact.recording.gates")));
  item.appendChild(facts);
  if (p.description) {
    item.appendChild(h("p", {
      class: `purpose-description${state.details ? "" : " clamp"}`, lang: notice.language,
      text: p.description,
    }));
  }
  if (state.details) item.appendChild(purposeDetails(p, notice));
  const controls = slots.controls(p, titleId);
  if (controls) item.appendChild(controls);
  return item;
}

/**
 * What changed when the organiser moved the call to a later version of its notice: the purposes
 * to decide again (only those; the others keep their state) and those that went.
 * @param {Notice} notice
 * @param {import("./state.js").NoticeChange} change
 */
function changeNote(notice, change) {
  const again = notice.purposes.filter((p) => change.changed.includes(p.key) || change.added.includes(p.key))
    .map((p) => p.title);
  return h("div", { class: "note", role: "status", "data-key": "notice-change" },
    h("p", { text: again.length ? t("notice.changed_call", { purposes: formatList(again) }) : t("notice.changed_call_none") }),
    change.dropped.length ? h("p", { text: t("notice.dropped", { purposes: formatList(change.dropped) }) }) : null);
}

/**
 * @param {Purpose} p
 * @param {Notice} notice
 */
function purposeDetails(p, notice) {
  const lines = h("ul", { class: "details-list", role: "list" });
  lines.appendChild(h("li", { text: basisExplained(p.lawful_basis) }));
  if (p.legitimate_interest) {
    lines.appendChild(h("li", null, `${t("detail.legitimate_interest")}: `,
      h("span", { lang: notice.language, text: p.legitimate_interest })));
  }
  if (p.required) lines.appendChild(h("li", { text: t("detail.required") }));
  if (p.automated_decisions) lines.appendChild(h("li", { text: t("detail.automated_decisions") }));
  if (p.processes && p.processes.length) {
    lines.appendChild(h("li", { text: `${t("detail.processes")}: ${formatList(p.processes.map(processName))}` }));
  }
  const recipients = (notice.recipients || []).filter((r) => r.purposes.includes(p.key));
  if (recipients.length) {
    lines.appendChild(h("li", {
      text: `${t("detail.recipients")}: ${formatList(recipients.map((r) => `${r.name} (${roleName(r.role)})`))}`,
    }));
  }
  return lines;
}

/**
 * The participant's rights (Art. 13(2)), from the widget's own catalogues.
 * @param {Notice} notice
 */
function rightsBlock(notice) {
  const authority = notice.supervisory_authority;
  const url = authority ? safeUrl(authority.url) : null;
  return h("section", { class: "rights", "aria-labelledby": "rights-title" },
    h("h2", { id: "rights-title", class: "rights-title", text: t("rights.title") }),
    h("p", { class: "rights-text" }, t("rights.summary"), " ",
      authority && url
        ? h("a", { class: "link", href: url, target: "_blank", rel: "noopener noreferrer" },
          authority.name, h("span", { class: "visually-hidden", text: ` ${t("link.new_tab")}` }))
        : null));
}

/**
 * The rest of the notice: contacts, representative, recipients, transfers.
 * @param {Notice} notice
 */
function detailsBlock(notice) {
  const controller = notice.controller || {};
  const list = h("ul", { class: "details-list", role: "list" });
  if (controller.address) list.appendChild(h("li", { text: `${t("detail.address")}: ${controller.address}` }));
  if (controller.representative) {
    list.appendChild(h("li", null, `${t("detail.representative")}: ${controller.representative.name} `,
      mailLink(controller.representative.contact_email)));
  }
  if (notice.dpo) {
    list.appendChild(h("li", null, `${t("detail.dpo")}: ${notice.dpo.name ? `${notice.dpo.name} ` : ""}`,
      mailLink(notice.dpo.contact_email)));
  }
  for (const r of notice.recipients || []) {
    list.appendChild(h("li", {
      text: `${t("detail.recipients")}: ${r.name} (${roleName(r.role)}${r.country ? `, ${countryName(r.country)}` : ""})`,
    }));
  }
  for (const transfer of notice.transfers || []) {
    list.appendChild(h("li", {
      text: t("detail.transfer", { country: countryName(transfer.country), safeguard: safeguardName(transfer.safeguard) }),
    }));
  }
  if (!(notice.transfers || []).length) list.appendChild(h("li", { text: t("detail.no_transfers") }));
  list.appendChild(h("li", { text: t("rights.full") }));
  return h("section", { class: "details", "aria-labelledby": "details-title" },
    h("h2", { id: "details-title", class: "rights-title", text: t("notice.details") }), list);
}

/** @param {Notice} notice */
function privacyLink(notice) {
  const policy = safeUrl(notice.privacy_policy_url);
  if (!policy) return null;
  return h("a", { class: "link", href: policy, target: "_blank", rel: "noopener noreferrer" },
    t("notice.privacy_policy"), h("span", { class: "visually-hidden", text: ` ${t("link.new_tab")}` }));
}

/**
 * Why the join asks for data: the purposes (not consent) that use each field.
 * @param {Notice} notice
 * @param {string[]} fields
 */
export function purposesNeeding(notice, fields) {
  return notice.purposes
    .filter((p) => !isConsent(p) && (p.data || []).some((f) => fields.includes(f)))
    .map((p) => p.title);
}

