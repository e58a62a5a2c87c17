/**
 * Small DOM helpers shared by the widget's views: element building, icons, announcements.
 */

/** @typedef {string | Node | null | undefined | false | any[]} Child (arrays nest) */
/** @typedef {Record<string, unknown>} Props */

/**
 * An element with properties (class, text, value, on<event>, other attributes) and children.
 * Null, undefined and false properties and children are left out.
 * @param {string} tag
 * @param {Props | null} [props]
 * @param {...Child} children
 * @returns {HTMLElement}
 */
export function h(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = String(value);
    else if (name === "text") node.textContent = String(value);
    else if (name.startsWith("on") && typeof value === "function") {
      node.addEventListener(name.slice(2), /** @type {EventListener} */ (value));
    } else if (name === "value") /** @type {HTMLInputElement} */ (node).value = String(value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

/**
 * @param {Node} node
 * @param {Child[]} children
 */
function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
}

const ICONS = {
  check: "M4 10.5l4 4 8-9",
  cross: "M5 5l10 10M15 5L5 15",
  info: "M10 9v5M10 6.2v.1",
  alert: "M10 6v5M10 14v.1",
  ended: "M6 6h8v8H6z",
};

/**
 * A decorative SVG icon (hidden from assistive technology).
 * @param {keyof typeof ICONS} name
 * @returns {SVGSVGElement}
 */
export function icon(name) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 20 20");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("class", "icon");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", ICONS[name]);
  svg.appendChild(path);
  return svg;
}

/**
 * An announcer on a polite live region; clearing first makes a repeated text heard again.
 * @param {HTMLElement} region
 * @returns {(text: string) => void}
 */
export function announcer(region) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  return (text) => {
    region.textContent = "";
    clearTimeout(timer);
    timer = setTimeout(() => { region.textContent = text; }, 60);
  };
}

/**
 * An http(s) URL as given, or null for anything else (no javascript: links from a notice).
 * @param {unknown} value
 * @returns {string | null}
 */
export function safeUrl(value) {
  try {
    const url = new URL(String(value));
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}
