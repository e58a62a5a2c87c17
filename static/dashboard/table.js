/**
 * The roster table: one keyed row per participant, changed in place, built for thousands of rows.
 */

import { formatTime, stateLabel, t } from "../i18n.js";
import { isBlocking, matches } from "./model.js";

/** @typedef {import("./model.js").Model} Model */
/** @typedef {import("./model.js").Person} Person */
/** @typedef {import("./model.js").Filter} Filter */

/**
 * @typedef {object} Row
 * @property {HTMLTableRowElement} row
 * @property {Record<string, HTMLElement>} cells
 * @property {Record<string, string>} last what each cell shows, to skip unchanged writes
 * @property {boolean} visible
 */

/**
 * @param {string} tag
 * @param {string | null} [className]
 * @param {string | null} [text]
 */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

/** @param {string | undefined} channel */
function channelLabel(channel) {
  switch (channel) {
    case "widget": return t("host.channel.widget");
    case "api": return t("host.channel.api");
    case "phone": return t("host.channel.phone");
    default: return channel ? String(channel) : "–";
  }
}

// The server labels a caller whose name it does not hold "Phone ••56" (the last two digits of
// their number); shown in the host's language.
const PHONE_LABEL = /^Phone ••(\d{2})$/;

/** @param {Person} person */
export function personLabel(person) {
  const label = person.label || person.id;
  const masked = person.channel === "phone" ? PHONE_LABEL.exec(label) : null;
  return masked ? t("host.phone_label", { digits: masked[1] }) : label;
}

/**
 * "since 10:02:13", or "–" for someone not holding recording up.
 * @param {Model} model
 * @param {Person} person
 */
export function blockingText(model, person) {
  if (!isBlocking(model, person)) return "–";
  if (!person.blocking_since) return t("host.blocking.now");
  const since = new Date(person.blocking_since);
  return Number.isNaN(since.getTime()) ? t("host.blocking.now") : t("host.blocking.since", { time: formatTime(since) });
}

/**
 * @param {{head: HTMLElement, body: HTMLElement, table: HTMLElement}} ui
 */
export function createTable(ui) {
  /** @type {Map<string, Row>} */
  const rows = new Map();

  /**
   * @param {Row} entry
   * @param {string} key
   * @param {string} text
   */
  function setText(entry, key, text) {
    if (entry.last[key] !== text) {
      entry.last[key] = text;
      entry.cells[key].textContent = text;
    }
  }

  /**
   * @param {Row} entry
   * @param {string} key
   * @param {string} className
   * @param {HTMLElement} node
   */
  function setClass(entry, key, className, node) {
    if (entry.last[`class:${key}`] !== className) {
      entry.last[`class:${key}`] = className;
      node.className = className;
    }
  }

  /**
   * @param {Model} model
   * @param {Person} person
   * @returns {Row}
   */
  function createRow(model, person) {
    const row = /** @type {HTMLTableRowElement} */ (el("tr"));
    row.setAttribute("role", "row");
    const name = el("th", "cell-name");
    name.setAttribute("scope", "row");
    name.setAttribute("role", "rowheader");
    row.appendChild(name);
    /** @type {Record<string, HTMLElement>} */
    const cells = { name };
    /**
     * @param {string} key
     * @param {string} className
     * @param {string} label
     */
    const cell = (key, className, label) => {
      const td = el("td", className);
      td.setAttribute("role", "cell");
      td.setAttribute("data-label", label);
      const inner = el("span", key.startsWith("s:") ? "badge" : "cell-text");
      td.appendChild(inner);
      row.appendChild(td);
      cells[key] = inner;
      cells[`td:${key}`] = td;
    };
    cell("channel", "cell-channel", t("host.column.channel"));
    cell("presence", "cell-presence", t("host.column.presence"));
    cell("blocking", "cell-blocking", t("host.column.blocking"));
    for (const p of model.purposes) cell(`s:${p.key}`, "cell-state", p.title || p.key);
    const entry = { row, cells, last: {}, visible: true };
    update(model, entry, person);
    return entry;
  }

  /**
   * @param {Model} model
   * @param {Row} entry
   * @param {Person} person
   */
  function update(model, entry, person) {
    setText(entry, "name", personLabel(person));
    setText(entry, "channel", channelLabel(person.channel));
    setClass(entry, "channel", `cell-text channel--${person.channel || "none"}`, entry.cells.channel);
    setText(entry, "presence", person.present ? t("host.presence.here") : t("host.presence.left"));
    setClass(entry, "presence", `cell-presence${person.present ? " is-here" : " is-gone"}`, entry.cells["td:presence"]);
    setText(entry, "blocking", blockingText(model, person));
    const blocking = isBlocking(model, person);
    setClass(entry, "row", `${person.present ? "" : "row--gone"}${blocking ? " row--blocking" : ""}`, entry.row);
    for (const p of model.purposes) {
      const value = (person.state || {})[p.key] || "";
      setText(entry, `s:${p.key}`, stateLabel(value));
      setClass(entry, `s:${p.key}`, `badge badge--${value || "none"}`, entry.cells[`s:${p.key}`]);
    }
  }

  /**
   * @param {Model} model
   * @param {Row} entry
   * @param {Person} person
   * @param {Filter} filter
   */
  function applyFilter(model, entry, person, filter) {
    const visible = matches(model, person, filter);
    if (visible !== entry.visible || entry.row.hidden === visible) {
      entry.visible = visible;
      entry.row.hidden = !visible;
    }
  }

  return {
    /**
     * Build the header and every row anew (a roster, or new columns).
     * @param {Model} model
     * @param {Filter} filter
     */
    rebuild(model, filter) {
      const head = document.createDocumentFragment();
      ui.table.style.setProperty("--purpose-count", String(Math.max(model.purposes.length, 1)));
      for (const [className, label] of [["col-name", t("host.column.participant")],
        ["col-channel", t("host.column.channel")], ["col-presence", t("host.column.presence")],
        ["col-blocking", t("host.column.blocking")]]) {
        const th = el("th", className, label);
        th.setAttribute("scope", "col");
        th.setAttribute("role", "columnheader");
        head.appendChild(th);
      }
      for (const p of model.purposes) {
        const th = el("th", "purpose-col");
        th.setAttribute("scope", "col");
        th.setAttribute("role", "columnheader");
        th.appendChild(el("span", "col-title", p.title || p.key));
        if (p.gates_recording) th.appendChild(el("span", "col-note", t("host.column.gates")));
        head.appendChild(th);
      }
      ui.head.replaceChildren(head);
      rows.clear();
      const body = document.createDocumentFragment();
      for (const person of model.people.values()) {
        const entry = createRow(model, person);
        applyFilter(model, entry, person, filter);
        rows.set(person.id, entry);
        body.appendChild(entry.row);
      }
      ui.body.replaceChildren(body);
    },
    /**
     * Update (or add, at the end) the rows of these participants.
     * @param {Model} model
     * @param {Iterable<string>} ids
     * @param {Filter} filter
     */
    refresh(model, ids, filter) {
      const added = document.createDocumentFragment();
      for (const id of ids) {
        const person = model.people.get(id);
        if (!person) continue;
        let entry = rows.get(id);
        if (!entry) {
          entry = createRow(model, person);
          rows.set(id, entry);
          added.appendChild(entry.row);
        } else {
          update(model, entry, person);
        }
        applyFilter(model, entry, person, filter);
      }
      ui.body.appendChild(added);
    },
    /** How many rows are shown now (no filtering: rows keep their own visibility). */
    shown() {
      let count = 0;
      for (const entry of rows.values()) if (entry.visible) count++;
      return count;
    },
    /**
     * Apply a filter to every row; returns how many rows are shown.
     * @param {Model} model
     * @param {Filter} filter
     */
    filter(model, filter) {
      let shown = 0;
      for (const [id, entry] of rows) {
        const person = model.people.get(id);
        if (person) applyFilter(model, entry, person, filter);
        if (entry.visible) shown++;
      }
      return shown;
    },
  };
}
