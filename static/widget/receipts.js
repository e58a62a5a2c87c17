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
 * The receipt of the last recorded choice: its id, for the participant's own records.
 * @param {{id: string} | null} receipt
 */
export function receiptLine(receipt) {
  if (!receipt || !receipt.id) return null;
  return h("p", { class: "receipt" },
    h("span", { class: "receipt-label", text: `${t("summary.receipt")} ` }),
    h("code", { text: receipt.id }));
}
