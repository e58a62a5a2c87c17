/**
 * What the widget keeps across a reload of its tab: the resume secret and the last receipt.
 *
 * sessionStorage lives as long as the tab and is never sent anywhere. Where the browser blocks
 * third-party storage it throws; the widget then keeps these in memory only, and a reload starts
 * a new participant (the old one is marked as left when its connection closes, so it holds
 * nothing up: see the README, "Reload with storage blocked"). The secret is never handed to the
 * meeting page, which would then be able to act as the participant.
 */

import { t } from "../i18n.js";
import { h } from "./dom.js";

/** @typedef {{resume?: string, participant?: string,
 *   receipt?: {id: string, seq: number, hash: string}}} Saved */

/**
 * A store under a key derived from the widget token (the token itself is written nowhere).
 * @param {string} token
 */
export async function openStore(token) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  const key = "consent-widget:" + Array.from(new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0")).join("");
  return {
    /** @returns {Saved} */
    read() {
      try {
        return JSON.parse(window.sessionStorage.getItem(key) || "{}") || {};
      } catch {
        return {};
      }
    },
    /** @param {Saved} value */
    write(value) {
      try {
        window.sessionStorage.setItem(key, JSON.stringify(value));
      } catch {
        /* storage blocked: memory only */
      }
    },
    clear() {
      try {
        window.sessionStorage.removeItem(key);
      } catch {
        /* nothing stored */
      }
    },
    /** Whether a reload can come back as the same participant. */
    get available() {
      try {
        window.sessionStorage.setItem(`${key}:probe`, "1");
        window.sessionStorage.removeItem(`${key}:probe`);
        return true;
      } catch {
        return false;
      }
    },
  };
}

/**
 * The payload of a compact JWS (its middle part), decoded for the participant's own file.
 * The signature is checked by whoever relies on the receipt, with the server's published keys.
 * @param {string} jws
 * @returns {Record<string, any>}
 */
export function receiptPayload(jws) {
  const part = jws.split(".")[1] || "";
  const base64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

/**
 * Save the signed receipt as a JSON file: the JWS and its decoded payload side by side.
 * @param {string} receiptId
 * @param {string} jws
 */
export function saveReceipt(receiptId, jws) {
  const body = JSON.stringify({ jws, payload: receiptPayload(jws) }, null, 2);
  const url = URL.createObjectURL(new Blob([body], { type: "application/json" }));
  const link = h("a", { href: url, download: `consent-receipt-${receiptId}.json`, hidden: true });
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/**
 * @typedef {object} ReceiptActions
 * @property {() => void} download "Download my receipt"
 * @property {() => void} print the printable receipt page, in a new tab
 */

/**
 * The receipt of the last recorded choice: its id, and the signed receipt to keep (a file, or a
 * printable page), fetched only when asked for.
 * @param {{id: string} | null} receipt
 * @param {ReceiptActions | null} [actions]
 */
export function receiptLine(receipt, actions) {
  if (!receipt || !receipt.id) return null;
  return h("div", { class: "receipt" },
    h("p", { class: "receipt-id" },
      h("span", { class: "receipt-label", text: `${t("summary.receipt")} ` }),
      h("code", { text: receipt.id })),
    actions ? h("p", { class: "receipt-actions" },
      h("button", { type: "button", class: "link-button", "data-key": "receipt-download", onclick: actions.download },
        t("receipt.download")),
      h("button", { type: "button", class: "link-button", "data-key": "receipt-print", onclick: actions.print },
        t("receipt.print"), h("span", { class: "visually-hidden", text: ` ${t("link.new_tab")}` }))) : null);
}
