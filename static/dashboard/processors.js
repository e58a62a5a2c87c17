/**
 * The processors panel: the client's systems that act on this call's consent (a recording bot,
 * a transcriber, a notes mailer), each with its purpose, the plan it last confirmed following
 * (`applied`) and how long after the change that made that plan it did so.
 *
 * The server sends `processors` `{"call_id", "items": [...]}` on connect and whenever a grant
 * is made or revoked or a processor confirms a plan. The panel stays hidden while the call has
 * none. A plan is "current" when its number is the call's latest change the dashboard has seen.
 */

import { formatNumber, t, tp } from "../i18n.js";
import { el } from "./table.js";

/**
 * @typedef {{id: string, name: string, purpose: string | null, revoked: boolean,
 *   last_applied_seq: number | null, applied_at: string | null, applied_delay_ms: number | null}} Processor
 */

/** @param {number} ms */
function delayText(ms) {
  return ms < 1000
    ? t("host.processors.delay_ms", { ms: formatNumber(ms) })
    : t("host.processors.delay_s", { s: formatNumber(Math.round(ms / 100) / 10) });
}

/**
 * @param {{section: HTMLElement, body: HTMLElement, count: HTMLElement}} ui
 * @param {(key: string) => string} purposeTitle the purpose's title in the host's language
 */
export function createProcessors(ui, purposeTitle) {
  /** @type {Processor[]} */
  let items = [];
  let seq = -1;

  function render() {
    ui.section.hidden = items.length === 0;
    const active = items.filter((p) => !p.revoked).length;
    ui.count.textContent = t("host.processors.count", { n: formatNumber(active) });
    const rows = items.map((p) => {
      const row = el("tr", p.revoked ? "row--revoked" : "");
      row.setAttribute("role", "row");
      row.setAttribute("data-processor", p.id);
      const name = el("th", "", p.name);
      name.setAttribute("scope", "row");
      name.setAttribute("role", "rowheader");
      row.appendChild(name);
      cell(row, "host.processors.column.purpose", p.purpose ? purposeTitle(p.purpose) : "–");
      cell(row, "host.processors.column.plan", planText(p), "cell-plan");
      cell(row, "host.processors.column.delay",
        p.applied_delay_ms === null || p.applied_delay_ms === undefined ? "–" : delayText(p.applied_delay_ms),
        "cell-delay");
      return row;
    });
    ui.body.replaceChildren(...rows);
  }

  /** @param {Processor} p */
  function planText(p) {
    if (p.revoked) return t("host.processors.revoked");
    if (p.last_applied_seq === null || p.last_applied_seq === undefined) return t("host.processors.none_yet");
    const plan = t("host.processors.plan", { seq: String(p.last_applied_seq) });
    const status = seq >= 0 && p.last_applied_seq >= seq
      ? t("host.processors.current")
      : tp("host.processors.behind", Math.max(0, seq - p.last_applied_seq));
    return `${plan} · ${status}`;
  }

  /**
   * @param {HTMLElement} row
   * @param {string} label
   * @param {string} text
   * @param {string} [className]
   */
  function cell(row, label, text, className) {
    const td = el("td", className || "", text);
    td.setAttribute("role", "cell");
    td.setAttribute("data-label", t(label));
    row.appendChild(td);
  }

  return {
    /** @param {any} payload the `processors` event */
    take(payload) {
      items = payload && Array.isArray(payload.items) ? payload.items : [];
      render();
    },
    /** @param {number} latest the call's latest change the dashboard applied */
    follow(latest) {
      if (latest === seq) return;
      seq = latest;
      if (items.length) render();
    },
  };
}
