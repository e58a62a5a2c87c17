/**
 * The consent chart: for each consent purpose, the share of the call's participants who have
 * accepted it, over time. An SVG drawn here (no library), with the same figures as a table for
 * screen readers and anyone who prefers numbers.
 *
 * Its points are the summaries the dashboard already receives (`roster` and every `update`,
 * each `{present, purposes: {key: {state: count}}}`), and at connect the call's past ones from
 * the host namespace's `history` event (sampled by the server; counts only). The share is
 * granted / everyone asked about the purpose (summaries count those who left too, so this
 * stays between 0 and 100 %).
 */

import { formatNumber, formatTime, language, t } from "../i18n.js";
import { el } from "./table.js";

const SVG = "http://www.w3.org/2000/svg";
const MAX_POINTS = 480;
const TABLE_ROWS = 8;
const SIZE = { width: 640, height: 200, left: 48, right: 16, top: 12, bottom: 28 };
const ACK_TIMEOUT_MS = 15000;

/**
 * @typedef {{seq: number, at: Date, summary: {present?: number, purposes?: Record<string, Record<string, number>>}}} Point
 * @typedef {{key: string, title: string}} Series
 */

/**
 * @param {{section: HTMLElement, svg: SVGSVGElement, desc: HTMLElement, legend: HTMLElement,
 *   table: HTMLTableElement}} ui
 */
export function createChart(ui) {
  /** @type {Map<number, Point>} */
  const points = new Map();
  /** @type {Series[]} */
  let series = [];
  let scheduled = false;

  /**
   * @param {any} seq
   * @param {Date} at
   * @param {any} summary
   * @param {boolean} [authoritative] the server's own time (history) wins over arrival time
   */
  function add(seq, at, summary, authoritative = false) {
    if (typeof seq !== "number" || !summary || typeof summary !== "object") return;
    const known = points.get(seq);
    if (known && !authoritative) return;
    points.set(seq, { seq, at, summary });
    if (points.size > MAX_POINTS) thin();
  }

  /** Keep every other point of the older half: a long call stays drawable. */
  function thin() {
    const seqs = [...points.keys()].sort((a, b) => a - b);
    const half = Math.floor(seqs.length / 2);
    for (let i = 1; i < half; i += 2) points.delete(seqs[i]);
  }

  /** @param {any} purposes the roster's `call.purposes` */
  function setSeries(purposes) {
    if (!Array.isArray(purposes)) return;
    series = purposes.filter((p) => p && p.lawful_basis === "consent")
      .map((p) => ({ key: String(p.key), title: String(p.title || p.key) }));
  }

  function schedule() {
    if (scheduled) return;
    scheduled = true;
    const run = () => { scheduled = false; render(); };
    if (document.hidden) setTimeout(run, 50);
    else requestAnimationFrame(run);
  }

  /** @param {import("socket.io-client").Socket} socket */
  async function load(socket) {
    let ack;
    try {
      ack = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck("history", {});
    } catch {
      return; // the live points still draw the chart from now on
    }
    if (!ack || !ack.ok || !Array.isArray(ack.points)) return;
    for (const p of ack.points) add(p.seq, new Date(p.at), p.summary, true);
    schedule();
  }

  /**
   * Follow a host socket: its roster, its updates, and the history once connected.
   * @param {import("socket.io-client").Socket} socket
   */
  function follow(socket) {
    socket.on("connect", () => load(socket));
    socket.on("roster", (/** @type {any} */ roster) => {
      if (!roster) return;
      setSeries(roster.call && roster.call.purposes);
      add(roster.seq, new Date(), roster.summary);
      schedule();
    });
    socket.on("update", (/** @type {any} */ payload) => {
      for (const update of Array.isArray(payload) ? payload : [payload]) {
        if (!update) continue;
        if (update.kind === "notice_changed" && update.notice) setSeries(update.notice.purposes);
        add(update.seq, new Date(), update.summary);
      }
      schedule();
    });
  }

  /**
   * @param {Point} point
   * @param {string} key
   * @returns {{granted: number, asked: number, share: number} | null}
   */
  function share(point, key) {
    const states = (point.summary.purposes || {})[key] || {};
    const asked = Object.values(states).reduce((sum, n) => sum + (Number(n) || 0), 0);
    if (!asked) return null;
    const granted = Number(states.granted) || 0;
    return { granted, asked, share: granted / asked };
  }

  /** @param {number} value 0..1 */
  function percent(value) {
    return new Intl.NumberFormat(language(), { style: "percent", maximumFractionDigits: 0 }).format(value);
  }

  /** @param {{granted: number, asked: number, share: number} | null} figure */
  function figureText(figure) {
    if (!figure) return "–";
    return t("host.chart.share", {
      percent: percent(figure.share), granted: formatNumber(figure.granted), asked: formatNumber(figure.asked),
    });
  }

  function render() {
    // Live points carry this browser's clock, history points the server's: keep time moving
    // forward along the sequence, so a skewed clock cannot draw a line backwards.
    let latest = 0;
    const ordered = [...points.values()].sort((a, b) => a.seq - b.seq).map((p) => {
      latest = Math.max(latest, p.at.getTime());
      return { ...p, at: new Date(latest) };
    });
    ui.section.hidden = series.length === 0 || ordered.length === 0;
    if (ui.section.hidden) return;
    drawSvg(ordered);
    const first = ordered[0];
    const last = ordered[ordered.length - 1];
    ui.desc.textContent = `${t("host.chart.description", { start: formatTime(first.at), end: formatTime(last.at) })} ${
      series.map((s) => `${s.title}: ${figureText(share(last, s.key))}`).join("; ")}.`;
    renderLegend(last);
    renderTable(ordered);
  }

  /** @param {Point[]} ordered */
  function drawSvg(ordered) {
    const { width, height, left, right, top, bottom } = SIZE;
    const plotW = width - left - right;
    const plotH = height - top - bottom;
    const t0 = ordered[0].at.getTime();
    const span = ordered[ordered.length - 1].at.getTime() - t0;
    /** @param {Point} p @param {number} i */
    const x = (p, i) => left + (span > 0 ? ((p.at.getTime() - t0) / span) * plotW
      : ordered.length > 1 ? (i / (ordered.length - 1)) * plotW : plotW);
    /** @param {number} v */
    const y = (v) => top + (1 - v) * plotH;

    const nodes = [];
    for (const v of [0, 0.5, 1]) {
      nodes.push(svg("line", { class: "chart-grid", x1: left, x2: width - right, y1: y(v), y2: y(v) }));
      const label = svg("text", { class: "chart-axis", x: left - 6, y: y(v) + 4, "text-anchor": "end" });
      label.textContent = percent(v);
      nodes.push(label);
    }
    const start = svg("text", { class: "chart-axis", x: left, y: height - 8, "text-anchor": "start" });
    start.textContent = formatTime(ordered[0].at);
    const end = svg("text", { class: "chart-axis", x: width - right, y: height - 8, "text-anchor": "end" });
    end.textContent = formatTime(ordered[ordered.length - 1].at);
    nodes.push(start, end);
    series.forEach((s, index) => {
      const coords = [];
      let lastXY = null;
      for (let i = 0; i < ordered.length; i++) {
        const figure = share(ordered[i], s.key);
        if (!figure) continue;
        lastXY = [x(ordered[i], i), y(figure.share)];
        coords.push(lastXY.map((n) => n.toFixed(1)).join(","));
      }
      if (!lastXY) return;
      // A step line: a share holds until the next update changes it.
      nodes.push(svg("polyline", { class: `chart-line chart-series-${index % 6}`, points: steps(coords),
        "data-purpose": s.key }));
      nodes.push(svg("circle", { class: `chart-dot chart-series-${index % 6}`, cx: lastXY[0], cy: lastXY[1], r: 4 }));
    });
    ui.svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    ui.svg.setAttribute("preserveAspectRatio", "xMinYMid meet");
    ui.svg.replaceChildren(...nodes);
  }

  /** @param {Point} last */
  function renderLegend(last) {
    ui.legend.replaceChildren(...series.map((s, index) => {
      const item = el("li", "chart-key");
      item.dataset.purpose = s.key;
      item.append(el("span", `chart-swatch chart-series-${index % 6}`), el("span", "chart-key-title", s.title),
        el("span", "chart-key-value", figureText(share(last, s.key))));
      return item;
    }));
  }

  /** @param {Point[]} ordered a few rows, evenly spread, the latest last */
  function renderTable(ordered) {
    const head = el("tr");
    head.append(el("th", "", t("host.chart.time")));
    for (const s of series) head.append(el("th", "", s.title));
    for (const cell of head.children) cell.setAttribute("scope", "col");
    const picked = new Set();
    const count = Math.min(TABLE_ROWS, ordered.length);
    for (let i = 0; i < count; i++) {
      picked.add(count === 1 ? ordered.length - 1 : Math.round((i * (ordered.length - 1)) / (count - 1)));
    }
    const rows = [...picked].sort((a, b) => a - b).map((i) => {
      const row = el("tr");
      const when = el("th", "", formatTime(ordered[i].at));
      when.setAttribute("scope", "row");
      row.append(when, ...series.map((s) => el("td", "", figureText(share(ordered[i], s.key)))));
      return row;
    });
    const thead = el("thead");
    thead.append(head);
    const tbody = el("tbody");
    tbody.append(...rows);
    const caption = el("caption", "visually-hidden", t("host.chart.caption"));
    ui.table.replaceChildren(caption, thead, tbody);
  }

  return { follow, render, points: () => points.size };
}

/** @param {string[]} coords "x,y" pairs */
function steps(coords) {
  const out = [];
  for (let i = 0; i < coords.length; i++) {
    if (i > 0) out.push(`${coords[i].split(",")[0]},${coords[i - 1].split(",")[1]}`);
    out.push(coords[i]);
  }
  return out.join(" ");
}

/**
 * @param {string} tag
 * @param {Record<string, string | number>} attributes
 */
function svg(tag, attributes) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}
