/**
 * The printable receipt page: one signed receipt (a compact JWS in the URL fragment, never sent to
 * the server), shown in the participant's language and checked against the server's published
 * keys. It holds no personal data: ids, the notice's version and hash, the states, the ledger event.
 */

import * as i18n from "../i18n.js";
import { h } from "../widget/dom.js";
import { decodeJws, verifyJws } from "./verify.js";

const { t } = i18n;
const root = /** @type {HTMLElement} */ (document.getElementById("receipt"));
const params = new URLSearchParams(location.hash.slice(1));
const jws = params.get("jws") || "";
const basePath = location.pathname.replace(/\/receipt\/?$/, "");

/**
 * @param {string} label
 * @param {string | Node | null} value
 */
function row(label, value) {
  return [h("dt", { text: label }), h("dd", null, value)];
}

/** @param {string} text */
function code(text) {
  return h("code", { text });
}

/** @param {string} value an ISO 8601 instant */
function when(value) {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return new Intl.DateTimeFormat(i18n.language(), { dateStyle: "long", timeStyle: "medium", timeZone: "UTC" })
    .format(date) + " UTC";
}

/** @param {number} days */
function retention(days) {
  return Number(days) > 0 ? i18n.tp("retention.days", Number(days)) : t("retention.end_of_call");
}

/** @param {Record<string, any>} payload */
function purposesTable(payload) {
  const purposes = Array.isArray(payload.purposes) ? payload.purposes : [];
  return h("table", { class: "receipt-table" },
    h("caption", { class: "visually-hidden", text: t("receipt.choices") }),
    h("thead", null, h("tr", null,
      h("th", { scope: "col", text: t("receipt.purpose") }),
      h("th", { scope: "col", text: t("receipt.basis") }),
      h("th", { scope: "col", text: t("receipt.state") }),
      h("th", { scope: "col", text: t("fact.retention") }))),
    h("tbody", null, purposes.map((p) => h("tr", null,
      h("td", null, code(String(p.key))),
      h("td", { text: String(p.lawful_basis) }),
      h("td", { text: i18n.stateLabel(p.state || undefined) }),
      h("td", { text: retention(p.retention_days) })))));
}

/**
 * @param {string} verdict
 * @param {string} kid
 */
function signatureLine(verdict, kid) {
  const text = {
    valid: t("receipt.signature_ok", { kid }),
    invalid: t("receipt.signature_bad"),
    unknown_key: t("receipt.signature_unknown_key", { kid }),
    unsupported: t("receipt.signature_unchecked"),
  }[verdict] || t("receipt.signature_unchecked");
  return h("p", { class: `signature signature--${verdict}`, role: "status", "data-verdict": verdict, text });
}

async function keys() {
  try {
    const response = await fetch(`${basePath}/.well-known/jwks.json`, { credentials: "omit" });
    const body = response.ok ? await response.json() : null;
    return body && Array.isArray(body.keys) ? body.keys : [];
  } catch {
    return [];
  }
}

async function show() {
  const decoded = jws ? decodeJws(jws) : null;
  const payload = decoded ? decoded.payload : null;
  const wanted = params.get("lang") || (payload && payload.notice && payload.notice.language) || "";
  const language = await i18n.use(i18n.pick([wanted, ...i18n.browserLanguages()]) || "en").catch(() => "en");
  document.documentElement.lang = language;
  i18n.translateStatic(document);
  if (!decoded || !payload) {
    root.replaceChildren(h("p", { class: "problem", role: "alert", text: t("receipt.missing") }));
    return;
  }
  const controller = payload.controller || {};
  const notice = payload.notice || {};
  const ledger = payload.ledger || {};
  const facts = h("dl", { class: "receipt-facts" },
    row(t("receipt.receipt_id"), code(String(payload.receipt_id))),
    row(t("receipt.issued"), when(String(payload.issued_at))),
    row(t("receipt.controller"), `${controller.name || ""}${controller.contact_email ? ` <${controller.contact_email}>` : ""}`),
    row(t("receipt.notice"), t("receipt.notice_version", { id: String(notice.id), version: String(notice.version) })),
    row(t("receipt.notice_hash"), code(String(notice.content_hash))),
    row(t("receipt.call"), code(String(payload.call_id))),
    row(t("receipt.participant"), code(String(payload.participant_id))),
    row(t("receipt.ledger"), h("span", null, `#${ledger.seq} `, code(String(ledger.hash)))),
    payload.manage_url ? row(t("receipt.manage"), code(String(payload.manage_url))) : null);
  root.replaceChildren(
    h("p", { class: "intro", text: t("receipt.intro") }),
    h("div", { id: "signature" }, h("p", { class: "signature", text: t("receipt.checking") })),
    h("h2", { text: t("receipt.choices") }), purposesTable(payload),
    h("h2", { text: t("receipt.details") }), facts,
    h("details", { class: "raw" }, h("summary", { text: t("receipt.raw") }), h("pre", { class: "jws", text: jws })));
  const verdict = await verifyJws(jws, await keys());
  document.getElementById("signature")?.replaceChildren(signatureLine(verdict, String(decoded.header.kid || "")));
}

document.getElementById("print")?.addEventListener("click", () => window.print());
show();
