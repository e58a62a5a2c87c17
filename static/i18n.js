/*
 * UI strings for the widget and the host dashboard.
 *
 * One flat JSON catalogue per language in static/i18n/<lang>.json. English is always loaded too, as
 * the fallback for a key a translation lacks (tests/browser/test_catalogues.py keeps that from
 * happening). Strings use {name} placeholders; plurals are two keys, "<key>.one" and "<key>.other".
 *
 * Every key is used as a literal, t("…") or tp("…"), or as data-i18n="…" in a template, so the
 * catalogue test can find them all.
 */
(function (global) {
  "use strict";

  var SUPPORTED = ["en", "de", "fr", "es", "nl"];
  var FALLBACK = "en";
  var here = document.currentScript && document.currentScript.src;
  var base = here ? here.replace(/i18n\.js(?:[?#].*)?$/, "i18n/") : "/static/i18n/";
  var catalogues = {};
  var current = FALLBACK;

  /** The first supported language in `preferences` (BCP 47 tags), by exact tag then primary subtag. */
  function pick(preferences, available) {
    var choices = available || SUPPORTED;
    var list = (preferences || []).filter(Boolean);
    for (var i = 0; i < list.length; i++) {
      var tag = String(list[i]).toLowerCase();
      if (choices.indexOf(tag) !== -1) return tag;
      var primary = tag.split("-")[0];
      if (choices.indexOf(primary) !== -1) return primary;
    }
    return null;
  }

  function browserLanguages() {
    if (navigator.languages && navigator.languages.length) return navigator.languages.slice();
    return navigator.language ? [navigator.language] : [];
  }

  function load(lang) {
    if (catalogues[lang]) return Promise.resolve(catalogues[lang]);
    return fetch(base + lang + ".json", { credentials: "omit" })
      .then(function (response) {
        if (!response.ok) throw new Error("catalogue " + lang + ": HTTP " + response.status);
        return response.json();
      })
      .then(function (catalogue) {
        catalogues[lang] = catalogue;
        return catalogue;
      });
  }

  /** Switch the UI to `lang` (or English when unsupported); resolves once its strings are loaded. */
  function use(lang) {
    var wanted = SUPPORTED.indexOf(lang) !== -1 ? lang : FALLBACK;
    var loads = [load(FALLBACK)];
    if (wanted !== FALLBACK) loads.push(load(wanted).catch(function () { wanted = FALLBACK; }));
    return Promise.all(loads).then(function () {
      current = wanted;
      document.documentElement.lang = current;
      translateStatic(document);
      return current;
    });
  }

  function interpolate(text, params) {
    if (!params) return text;
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole;
    });
  }

  function lookup(key) {
    var own = catalogues[current];
    if (own && typeof own[key] === "string") return own[key];
    var fallback = catalogues[FALLBACK];
    if (fallback && typeof fallback[key] === "string") return fallback[key];
    return key;
  }

  function t(key, params) {
    return interpolate(lookup(key), params);
  }

  /** Plural: "<key>.one" or "<key>.other" by the language's plural rules; {n} is the formatted count. */
  function tp(key, n, params) {
    var category = "other";
    try {
      category = new Intl.PluralRules(current).select(n) === "one" ? "one" : "other";
    } catch (e) {
      category = n === 1 ? "one" : "other";
    }
    var all = Object.assign({ n: formatNumber(n) }, params || {});
    return interpolate(lookup(key + "." + category), all);
  }

  function formatNumber(n) {
    try {
      return new Intl.NumberFormat(current).format(n);
    } catch (e) {
      return String(n);
    }
  }

  /** The language's own name for a language code ("Deutsch" for "de"), for language pickers. */
  function languageName(code) {
    try {
      var name = new Intl.DisplayNames([code], { type: "language" }).of(code);
      return name ? name.charAt(0).toLocaleUpperCase(code) + name.slice(1) : code;
    } catch (e) {
      return code;
    }
  }

  /** Fill elements marked data-i18n="key" (text) and data-i18n-<attr>="key" (attributes). */
  function translateStatic(root) {
    var nodes = root.querySelectorAll("[data-i18n], [data-i18n-title], [data-i18n-aria-label], [data-i18n-placeholder]");
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i];
      if (node.hasAttribute("data-i18n")) node.textContent = t(node.getAttribute("data-i18n"));
      if (node.hasAttribute("data-i18n-title")) node.title = t(node.getAttribute("data-i18n-title"));
      if (node.hasAttribute("data-i18n-aria-label")) {
        node.setAttribute("aria-label", t(node.getAttribute("data-i18n-aria-label")));
      }
      if (node.hasAttribute("data-i18n-placeholder")) {
        node.setAttribute("placeholder", t(node.getAttribute("data-i18n-placeholder")));
      }
    }
    if (document.documentElement.hasAttribute("data-i18n-document-title")) {
      document.title = t(document.documentElement.getAttribute("data-i18n-document-title"));
    }
  }

  /** A participant's state in words (the states of DESIGN §2). */
  function stateLabel(state) {
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

  global.WidgetI18n = {
    SUPPORTED: SUPPORTED,
    pick: pick,
    browserLanguages: browserLanguages,
    use: use,
    t: t,
    tp: tp,
    stateLabel: stateLabel,
    formatNumber: formatNumber,
    languageName: languageName,
    current: function () { return current; }
  };
})(window);
