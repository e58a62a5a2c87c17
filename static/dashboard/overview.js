/**
 * The overview above the roster: the gate, who is present and who left, each purpose's states.
 */

import { formatNumber, stateLabel, t, tp } from "../i18n.js";
import { counts } from "./model.js";
import { el } from "./table.js";

/** @typedef {import("./model.js").Model} Model */

const CONSENT_STATES = ["granted", "pending", "denied", "withdrawn"];
const OBJECTION_STATES = ["not_objected", "objected"];
const GLYPHS = { allowed: "M5 10.5l3.5 3.5 7-8", blocked: "M6 6l8 8M14 6l-8 8", ended: "M6.5 6.5h7v7h-7z", unknown: "M10 6v4.5l3 2" };

/** @param {string} d */
function svgIcon(d) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 20 20");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", d);
  svg.appendChild(path);
  return svg;
}

/** @param {string | null} basis */
function basisName(basis) {
  if (basis === "consent") return t("basis.consent.name");
  if (basis === "legitimate_interests") return t("basis.legitimate_interests.name");
  return "";
}

/**
 * @param {{gate: HTMLElement, gateTitle: HTMLElement, gateDetail: HTMLElement, present: HTMLElement,
 *   left: HTMLElement, purposeStats: HTMLElement}} ui
 * @param {(text: string) => void} say
 */
export function createOverview(ui, say) {
  /** @type {string | null} */
  let lastMeaning = null;

  /** @param {Model} model */
  function renderGate(model) {
    const gate = model.gate;
    /** @type {keyof typeof GLYPHS} */
    let kind;
    let title;
    let detail;
    if (model.ended) {
      kind = "ended";
      title = t("host.gate.ended");
      detail = t("host.gate.ended_detail");
    } else if (!gate) {
      kind = "unknown";
      title = t("host.gate.waiting");
      detail = "";
    } else if (gate.recording_allowed) {
      kind = "allowed";
      title = t("host.gate.allowed");
      detail = t("host.gate.allowed_detail");
    } else if (gate.blocking > 0) {
      kind = "blocked";
      title = tp("host.gate.blocked", gate.blocking);
      detail = `${t("host.gate.blocked_detail")} ${t("host.gate.blocked_hint")}`;
    } else {
      kind = "blocked";
      title = t("host.gate.blocked_empty");
      detail = t("host.gate.blocked_empty_detail");
    }
    ui.gate.className = `gate gate--${kind}`;
    if (ui.gate.getAttribute("data-glyph") !== kind) {
      ui.gate.setAttribute("data-glyph", kind);
      ui.gate.querySelector(".gate-icon")?.replaceChildren(svgIcon(GLYPHS[kind]));
    }
    ui.gateTitle.textContent = title;
    ui.gateDetail.textContent = detail;
    // Announce the gate when its meaning changes, not on every count.
    const meaning = kind + (kind === "blocked" && gate && gate.blocking > 0 ? ":some" : "");
    if (lastMeaning !== null && lastMeaning !== meaning) say(title);
    lastMeaning = meaning;
  }

  return {
    /** @param {Model} model */
    render(model) {
      const numbers = counts(model);
      ui.present.textContent = formatNumber(numbers.present);
      ui.left.textContent = formatNumber(numbers.left);
      renderGate(model);
      const items = document.createDocumentFragment();
      for (const p of model.purposes) {
        const { present, left } = numbers.purposes[p.key];
        const states = p.lawful_basis === "legitimate_interests" ? OBJECTION_STATES : CONSENT_STATES;
        const total = states.reduce((sum, s) => sum + (present[s] || 0), 0);
        const li = el("li", "purpose-stat");
        const head = el("div", "purpose-stat-head");
        head.appendChild(el("h3", "purpose-stat-title", p.title || p.key));
        if (basisName(p.lawful_basis)) head.appendChild(el("span", `basis basis--${p.lawful_basis}`, basisName(p.lawful_basis)));
        li.appendChild(head);
        const bar = el("div", "bar");
        bar.setAttribute("aria-hidden", "true");
        for (const s of states) {
          const n = present[s] || 0;
          if (!n || !total) continue;
          const seg = el("span", `bar-seg bar-seg--${s}`);
          seg.style.width = `${((100 * n) / total).toFixed(2)}%`;
          bar.appendChild(seg);
        }
        li.appendChild(bar);
        const legend = el("ul", "legend");
        legend.setAttribute("role", "list");
        for (const s of states) {
          const item = el("li", `legend-item legend-item--${s}`);
          item.appendChild(el("span", `swatch swatch--${s}`));
          item.appendChild(el("span", "legend-label", stateLabel(s)));
          item.appendChild(el("span", "legend-count", formatNumber(present[s] || 0)));
          legend.appendChild(item);
        }
        li.appendChild(legend);
        const gone = states.filter((s) => left[s]).map((s) => `${stateLabel(s)} ${formatNumber(left[s])}`);
        if (gone.length) li.appendChild(el("p", "stat-left", t("host.stat.left", { states: gone.join(", ") })));
        items.appendChild(li);
      }
      ui.purposeStats.replaceChildren(items);
    },
  };
}
