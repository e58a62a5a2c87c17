/**
 * UI strings for the widget and the host dashboard (an ES module shared by both).
 *
 * One flat JSON catalogue per language in static/i18n/<lang>.json. English is always loaded too, as
 * the fallback for a key a translation lacks (tests/browser/test_catalogues.py keeps that from
 * happening). Strings use {name} placeholders; plurals are two keys, "<key>.one" and "<key>.other".
 *
 * Every key is used as a literal, t("…") or tp("…"), or as data-i18n="…" in a template, so the
 * catalogue test can find them all.
 */

export const SUPPORTED = ["en", "de", "fr", "es", "nl"];
const FALLBACK = "en";
const BASE = new URL("./i18n/", import.meta.url);

/** @type {Record<string, Record<string, string>>} */
const catalogues = {};
let current = FALLBACK;

/**
 * The first supported language in `preferences` (BCP 47 tags), by exact tag then primary subtag.
 * @param {readonly string[]} preferences
 * @param {readonly string[]} [available]
 * @returns {string | null}
 */
export function pick(preferences, available = SUPPORTED) {
  for (const wanted of preferences.filter(Boolean)) {
    const tag = String(wanted).toLowerCase();
    if (available.includes(tag)) return tag;
    const primary = tag.split("-")[0];
    if (available.includes(primary)) return primary;
  }
  return null;
}

/** @returns {string[]} the browser's preferred languages, best first */
export function browserLanguages() {
  if (navigator.languages && navigator.languages.length) return [...navigator.languages];
  return navigator.language ? [navigator.language] : [];
}

/** @param {string} lang */
async function load(lang) {
  if (catalogues[lang]) return catalogues[lang];
  const response = await fetch(new URL(`${lang}.json`, BASE), { credentials: "omit" });
  if (!response.ok) throw new Error(`catalogue ${lang}: HTTP ${response.status}`);
  catalogues[lang] = await response.json();
  return catalogues[lang];
}

/**
 * Switch the UI to `lang` (or English when unsupported); resolves once its strings are loaded.
 * @param {string} lang
 * @returns {Promise<string>} the language now in use
 */
export async function use(lang) {
  let wanted = SUPPORTED.includes(lang) ? lang : FALLBACK;
  await load(FALLBACK);
  if (wanted !== FALLBACK) {
    try {
      await load(wanted);
    } catch {
      wanted = FALLBACK;
    }
  }
  current = wanted;
  document.documentElement.lang = current;
  translateStatic(document);
  return current;
}

/** @returns {string} the UI language in use */
export function language() {
  return current;
}

/**
 * @param {string} text
 * @param {Record<string, string | number> | undefined} params
 */
function interpolate(text, params) {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole);
}

/** @param {string} key */
function lookup(key) {
  const own = catalogues[current];
  if (own && typeof own[key] === "string") return own[key];
  const fallback = catalogues[FALLBACK];
  if (fallback && typeof fallback[key] === "string") return fallback[key];
  return key;
}

/**
 * @param {string} key
 * @param {Record<string, string | number>} [params]
 * @returns {string}
 */
export function t(key, params) {
  return interpolate(lookup(key), params);
}

/**
 * Plural: "<key>.one" or "<key>.other" by the language's plural rules; {n} is the formatted count.
 * @param {string} key
 * @param {number} n
 * @param {Record<string, string | number>} [params]
 * @returns {string}
 */
export function tp(key, n, params) {
  const category = new Intl.PluralRules(current).select(n) === "one" ? "one" : "other";
  return interpolate(lookup(`${key}.${category}`), { n: formatNumber(n), ...params });
}

/** @param {number} n */
export function formatNumber(n) {
  return new Intl.NumberFormat(current).format(n);
}

/**
 * A list in words ("a, b and c") in the UI language.
 * @param {string[]} items
 */
export function formatList(items) {
  return new Intl.ListFormat(current, { style: "long", type: "conjunction" }).format(items);
}

/**
 * A date and time, short, in the UI language.
 * @param {Date} date
 */
export function formatTime(date) {
  // The browser's own regional variant where it shares the UI language (en-GB: 24-hour clock).
  const regional = navigator.language && navigator.language.split("-")[0] === current ? navigator.language : current;
  return new Intl.DateTimeFormat(regional, { hour: "2-digit", minute: "2-digit", second: "2-digit" })
    .format(date);
}

/**
 * The language's own name for a language code ("Deutsch" for "de"), for language pickers.
 * @param {string} code
 */
export function languageName(code) {
  try {
    const name = new Intl.DisplayNames([code], { type: "language" }).of(code);
    return name ? name.charAt(0).toLocaleUpperCase(code) + name.slice(1) : code;
  } catch {
    return code;
  }
}

/**
 * A country's name in the UI language ("Vereinigte Staaten" for "US").
 * @param {string} code
 */
export function countryName(code) {
  try {
    return new Intl.DisplayNames([current], { type: "region" }).of(code) || code;
  } catch {
    return code;
  }
}

/**
 * Fill elements marked data-i18n="key" (text) and data-i18n-<attr>="key" (attributes).
 * @param {Document | Element} root
 */
export function translateStatic(root) {
  const nodes = root.querySelectorAll(
    "[data-i18n], [data-i18n-title], [data-i18n-aria-label], [data-i18n-placeholder]");
  for (const node of nodes) {
    const text = node.getAttribute("data-i18n");
    if (text) node.textContent = t(text);
    for (const attribute of ["title", "aria-label", "placeholder"]) {
      const key = node.getAttribute(`data-i18n-${attribute}`);
      if (key) node.setAttribute(attribute, t(key));
    }
  }
  const title = document.documentElement.getAttribute("data-i18n-document-title");
  if (title) document.title = t(title);
}

/**
 * A participant's state in words (the states of DESIGN §2).
 * @param {string | undefined} state
 */
export function stateLabel(state) {
  switch (state) {
    case "pending": return t("state.pending");
    case "granted": return t("state.granted");
    case "denied": return t("state.denied");
    case "withdrawn": return t("state.withdrawn");
    case "objected": return t("state.objected");
    case "not_objected": return t("state.not_objected");
    case "informed": return t("state.informed");
    default: return state ? String(state) : "–";
  }
}
