/*
 * The consent widget, inside its iframe on the consent server's origin.
 *
 * Reads the widget token from the URL fragment (never a query string), joins the call over
 * Socket.IO (namespace /participant), shows the notice and records the participant's choices.
 * Each click is one `decide` event with its own event_id; decisions are sent one at a time, in
 * order, and re-sent with the same event_id after a reconnect, so none is lost or doubled.
 * The embedding page hears about the participant's state by postMessage, addressed to its origin.
 */
(function () {
  "use strict";

  var i18n = window.WidgetI18n;
  var t = i18n.t;
  var stateLabel = i18n.stateLabel;
  var tp = i18n.tp;

  var TERMINAL_REFUSALS = ["invalid_token", "wrong_role", "token_expired", "call_ended", "wrong_call"];
  var DATA_FIELDS = ["display_name", "email", "phone"];
  var ACK_TIMEOUT_MS = 15000;

  var content = document.getElementById("content");
  var banner = document.getElementById("banner");
  var live = document.getElementById("live");

  var token = new URLSearchParams(location.hash.slice(1)).get("token");
  var pathMatch = location.pathname.match(/^(.*?)\/widget(?:\/([^/]+))?\/?$/);
  var basePath = pathMatch ? pathMatch[1] : "";
  var callId = pathMatch && pathMatch[2] ? decodeURIComponent(pathMatch[2]) : null;

  // Everything the page shows is drawn from this object by render().
  var S = {
    phase: "loading", // loading | no_token | connecting | join_form | ready | reconnecting | ended | refused | failed
    refusal: null, // a connect_error code
    failure: null, // {message} for an unexpected error acknowledgement
    notice: null,
    state: {},
    participant: null,
    receipt: null,
    view: "notice", // notice | summary
    editing: false, // opened through "Change my choices": stays open until "Done"
    joined: false,
    resumedAtLoad: false,
    joinNeeds: [],
    joinValues: {},
    joinErrors: {},
    joinPurposes: [],
    grant: null, // {purpose, needs: [...], values: {}, errors: {}} while asking for data to grant
    errors: {}, // purpose key -> message
    language: null, // the notice language the participant picked, if they did
    focusNoticeOnJoin: false
  };

  var browserLanguages = i18n.browserLanguages();

  /* ---------------------------------------------------------------- storage (resume) */

  // sessionStorage survives a reload of this tab and nothing longer; blocked storage (some
  // browsers' third-party settings) only costs the resume, never the widget.
  var store = {
    key: null,
    read: function () {
      if (!this.key) return {};
      try {
        return JSON.parse(window.sessionStorage.getItem(this.key) || "{}") || {};
      } catch (e) {
        return {};
      }
    },
    write: function (value) {
      if (!this.key) return;
      try {
        window.sessionStorage.setItem(this.key, JSON.stringify(value));
      } catch (e) {
        /* storage blocked: no resume after a reload */
      }
    },
    clear: function () {
      if (!this.key) return;
      try {
        window.sessionStorage.removeItem(this.key);
      } catch (e) {
        /* nothing stored */
      }
    }
  };

  // The storage key is a hash of the token, so the token itself is not written anywhere.
  function storageKey(value) {
    var prefix = "consent-widget:";
    if (window.crypto && crypto.subtle && window.TextEncoder) {
      return crypto.subtle.digest("SHA-256", new TextEncoder().encode(value)).then(function (buffer) {
        return prefix + Array.prototype.map.call(new Uint8Array(buffer), function (b) {
          return b.toString(16).padStart(2, "0");
        }).join("");
      });
    }
    var hash = 2166136261; // FNV-1a, for insecure contexts without crypto.subtle
    for (var i = 0; i < value.length; i++) {
      hash ^= value.charCodeAt(i);
      hash = Math.imul(hash, 16777619) >>> 0;
    }
    return Promise.resolve(prefix + hash.toString(16));
  }

  function uuid() {
    if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(b, function (x) { return x.toString(16).padStart(2, "0"); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  /* ---------------------------------------------------------------- the embedding page */

  var embedded = window.parent !== window;
  var parentOrigin = null;
  var lastToParent = {}; // type -> message, re-sent after the handshake

  if (embedded) {
    // A first guess, so messages flow before the handshake. A wrong guess is harmless: the browser
    // delivers a message only when the target origin is the parent's real origin.
    if (location.ancestorOrigins && location.ancestorOrigins.length) {
      parentOrigin = location.ancestorOrigins[0];
    } else if (document.referrer) {
      try {
        parentOrigin = new URL(document.referrer).origin;
      } catch (e) {
        parentOrigin = null;
      }
    }
    if (parentOrigin === "null") parentOrigin = null;
    window.addEventListener("message", function (event) {
      if (event.source !== window.parent || !event.data || event.data.source !== "consent-widget-loader") return;
      if (event.data.type !== "hello" || !event.origin || event.origin === "null") return;
      parentOrigin = event.origin;
      Object.keys(lastToParent).forEach(function (type) {
        window.parent.postMessage(lastToParent[type], parentOrigin);
      });
    });
  }

  function toParent(message) {
    if (!embedded) return;
    message.source = "consent-widget";
    lastToParent[message.type] = message;
    if (parentOrigin) window.parent.postMessage(message, parentOrigin);
  }

  function postState() {
    if (!S.notice) return;
    toParent({ type: "state", state: Object.assign({}, S.state), recording_allowed: recordingAllowed() });
  }

  function postReady() {
    toParent({ type: "ready", title: t("widget.frame_title") });
  }

  var lastHeight = 0;
  function postHeight() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height !== lastHeight) {
      lastHeight = height;
      toParent({ type: "resize", height: height });
    }
  }
  if (window.ResizeObserver) {
    new ResizeObserver(postHeight).observe(document.documentElement);
  } else {
    window.addEventListener("resize", postHeight);
  }

  /* ---------------------------------------------------------------- notice helpers */

  function purposes() {
    return S.notice ? S.notice.purposes || [] : [];
  }

  function purposeByKey(key) {
    var list = purposes();
    for (var i = 0; i < list.length; i++) if (list[i].key === key) return list[i];
    return null;
  }

  function isConsent(p) {
    return p.lawful_basis === "consent";
  }

  function isObjectable(p) {
    return p.lawful_basis === "legitimate_interests";
  }

  /** The state to show: the last choice still being sent, else what the server confirmed. */
  function shownState(key) {
    for (var i = queue.length - 1; i >= 0; i--) {
      if (Object.prototype.hasOwnProperty.call(queue[i].choices, key)) return queue[i].choices[key];
    }
    var p = purposeByKey(key);
    return S.state[key] || (p && isConsent(p) ? "pending" : p && isObjectable(p) ? "not_objected" : "informed");
  }

  function isSaving(key) {
    return queue.some(function (item) { return Object.prototype.hasOwnProperty.call(item.choices, key); });
  }

  function pendingCount() {
    return purposes().filter(function (p) { return isConsent(p) && shownState(p.key) === "pending"; }).length;
  }

  function recordingAllowed() {
    return purposes().every(function (p) { return !p.gates_recording || S.state[p.key] === "granted"; });
  }

  /** Data the server already holds for this participant, so a grant need not ask for it again. */
  function heldFields(exceptKey) {
    var held = {};
    purposes().forEach(function (p) {
      var holds = !isConsent(p) || (p.key !== exceptKey && S.state[p.key] === "granted");
      if (holds) (p.data || []).forEach(function (field) { held[field] = true; });
    });
    return held;
  }

  function fieldsToAsk(p) {
    var held = heldFields(p.key);
    return (p.data || []).filter(function (field) { return !held[field]; });
  }

  function fieldLabel(field) {
    if (field === "display_name") return t("field.display_name");
    if (field === "email") return t("field.email");
    if (field === "phone") return t("field.phone");
    return field;
  }

  function dataPhrase(field) {
    if (field === "display_name") return t("data.display_name");
    if (field === "email") return t("data.email");
    if (field === "phone") return t("data.phone");
    return field;
  }

  function joinList(items) {
    try {
      return new Intl.ListFormat(i18n.current(), { style: "long", type: "conjunction" }).format(items);
    } catch (e) {
      return items.join(", ");
    }
  }

  function basisName(basis) {
    switch (basis) {
      case "consent": return t("basis.consent.name");
      case "legitimate_interests": return t("basis.legitimate_interests.name");
      case "contract": return t("basis.contract.name");
      case "legal_obligation": return t("basis.legal_obligation.name");
      case "vital_interests": return t("basis.vital_interests.name");
      case "public_task": return t("basis.public_task.name");
      default: return basis;
    }
  }

  function basisExplained(basis) {
    switch (basis) {
      case "legitimate_interests": return t("basis.legitimate_interests.explained");
      case "contract": return t("basis.contract.explained");
      case "legal_obligation": return t("basis.legal_obligation.explained");
      case "vital_interests": return t("basis.vital_interests.explained");
      case "public_task": return t("basis.public_task.explained");
      default: return "";
    }
  }

  function stateSentence(state) {
    switch (state) {
      case "pending": return t("state.pending.sentence");
      case "granted": return t("state.granted.sentence");
      case "denied": return t("state.denied.sentence");
      case "withdrawn": return t("state.withdrawn.sentence");
      case "objected": return t("state.objected.sentence");
      case "not_objected": return t("state.not_objected.sentence");
      default: return t("state.informed.sentence");
    }
  }

  function retentionText(days) {
    var n = Number(days);
    if (!isFinite(n) || n <= 0) return t("retention.end_of_call");
    return tp("retention.days", n);
  }

  /* ---------------------------------------------------------------- DOM helpers */

  function h(tag, props) {
    var node = document.createElement(tag);
    var children = Array.prototype.slice.call(arguments, 2);
    if (props) {
      Object.keys(props).forEach(function (name) {
        var value = props[name];
        if (value === null || value === undefined || value === false) return;
        if (name === "class") node.className = value;
        else if (name === "text") node.textContent = value;
        else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
        else if (name === "value") node.value = value;
        else node.setAttribute(name, value === true ? "" : value);
      });
    }
    appendChildren(node, children);
    return node;
  }

  function appendChildren(node, children) {
    children.forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      if (Array.isArray(child)) appendChildren(node, child);
      else node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
  }

  var ICONS = {
    check: "M4 10.5l4 4 8-9",
    cross: "M5 5l10 10M15 5L5 15",
    info: "M10 9v5M10 6.2v.1",
    alert: "M10 6v5M10 14v.1",
    ended: "M6 6h8v8H6z",
    lock: "M6 9V7a4 4 0 018 0v2M5 9h10v7H5z"
  };

  function icon(name, extra) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 20 20");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "icon" + (extra ? " " + extra : ""));
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", ICONS[name]);
    svg.appendChild(path);
    return svg;
  }

  var sayTimer = null;
  /** Announce through the polite live region; clearing first makes a repeated text heard again. */
  function say(text) {
    live.textContent = "";
    clearTimeout(sayTimer);
    sayTimer = setTimeout(function () { live.textContent = text; }, 60);
  }

  // Move focus only while the participant is working inside the widget: never pull focus into the
  // iframe from the meeting page because of something the server did.
  function interacting() {
    return document.hasFocus() && document.activeElement && document.activeElement !== document.body;
  }

  var focusAfterRender = null;

  /* ---------------------------------------------------------------- render */

  function render() {
    var active = document.activeElement;
    var keep = active && content.contains(active) ? active.getAttribute("data-key") : null;
    var restore = focusAfterRender || keep;
    focusAfterRender = null;

    renderBanner();
    content.setAttribute("aria-busy", S.phase === "loading" || S.phase === "connecting" ? "true" : "false");
    content.replaceChildren(view());

    if (restore) {
      var target = content.querySelector('[data-key="' + restore + '"]');
      if (target) target.focus();
    }
    postHeight();
  }

  function renderBanner() {
    var show = S.phase === "reconnecting";
    banner.hidden = !show;
    banner.replaceChildren();
    if (show) {
      banner.appendChild(h("span", { class: "spinner", "aria-hidden": "true" }));
      banner.appendChild(h("span", { text: t("connection.reconnecting") }));
    }
  }

  function view() {
    switch (S.phase) {
      case "no_token":
        return messageCard("alert", t("error.no_token.title"), t("error.no_token.body"));
      case "refused":
        return refusedView();
      case "failed":
        return failedView();
      case "join_form":
        return joinView();
      case "ended":
        return endedView();
      case "ready":
      case "reconnecting":
        if (S.notice) return S.view === "summary" ? summaryView(true) : noticeView();
        return loadingView(S.phase === "reconnecting" ? t("connection.unreachable") : t("connection.connecting"));
      default:
        return loadingView(t("connection.connecting"));
    }
  }

  function loadingView(text) {
    return h("div", { class: "card card--quiet loading" },
      h("span", { class: "spinner", "aria-hidden": "true" }),
      h("p", { text: text }));
  }

  function messageCard(iconName, title, body, extra) {
    return h("div", { class: "card message message--" + iconName },
      h("div", { class: "message-icon" }, icon(iconName)),
      h("div", { class: "message-body" },
        h("h1", { class: "message-title", text: title }),
        h("p", { text: body }),
        extra || null));
  }

  function refusedView() {
    switch (S.refusal) {
      case "call_ended":
        return messageCard("ended", t("ended.title"), t("ended.not_joined"));
      case "token_expired":
        return messageCard("alert", t("error.token_expired.title"), t("error.token_expired.body"));
      case "wrong_role":
      case "wrong_call":
      case "invalid_token":
        return messageCard("alert", t("error.invalid_token.title"), t("error.invalid_token.body"));
      default:
        return messageCard("alert", t("error.refused.title"), t("error.refused.body", { code: S.refusal || "?" }),
          retryButton());
    }
  }

  function failedView() {
    return messageCard("alert", t("error.generic.title"), (S.failure && S.failure.message) || t("error.generic.body"),
      retryButton());
  }

  function retryButton() {
    return h("p", { class: "actions" },
      h("button", {
        type: "button", class: "button button--primary", "data-key": "retry",
        onclick: function () {
          S.phase = "connecting";
          render();
          if (socket.connected) join();
          else socket.connect();
        }
      }, t("action.retry")));
  }

  /* ----- join form: only when a non-consent purpose needs data (the server tells us which) */

  function joinView() {
    var form = h("form", { class: "card join", novalidate: true, onsubmit: submitJoin });
    var titleText = S.notice && S.notice.name ? S.notice.name : t("join.title");
    form.appendChild(h("h1", { class: "title", text: titleText }));
    var reason = S.joinPurposes.length
      ? t("join.needed_for", { purposes: joinList(S.joinPurposes) })
      : t("join.needed");
    form.appendChild(h("p", { class: "lead", text: reason }));
    S.joinNeeds.forEach(function (field, index) {
      form.appendChild(fieldInput("join", field, S.joinValues, S.joinErrors, index === 0));
    });
    form.appendChild(h("p", { class: "hint", text: t("join.hint") }));
    form.appendChild(h("div", { class: "actions" },
      h("button", { type: "submit", class: "button button--primary", "data-key": "join-submit" }, t("action.join"))));
    return form;
  }

  function fieldInput(scope, field, values, errors, first) {
    var id = scope + "-" + field;
    var error = errors[field];
    var types = { display_name: "text", email: "email", phone: "tel" };
    var autocomplete = { display_name: "name", email: "email", phone: "tel" };
    var input = h("input", {
      id: id,
      name: field,
      type: types[field] || "text",
      autocomplete: autocomplete[field] || "off",
      required: true,
      maxlength: "254",
      "aria-invalid": error ? "true" : null,
      "aria-describedby": error ? id + "-error" : null,
      "data-key": id,
      "data-first": first ? "true" : null,
      value: values[field] || "",
      oninput: function (event) { values[field] = event.target.value; }
    });
    return h("div", { class: "field" + (error ? " field--invalid" : "") },
      h("label", { for: id, text: fieldLabel(field) }),
      input,
      error ? h("p", { id: id + "-error", class: "field-error" }, icon("alert"), h("span", { text: error })) : null);
  }

  function validate(needs, values) {
    var errors = {};
    needs.forEach(function (field) {
      var value = (values[field] || "").trim();
      values[field] = value;
      if (!value) errors[field] = t("field.required");
      else if (field === "email" && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) errors[field] = t("field.email.invalid");
      else if (field === "phone" && !/^\+?[0-9 ().\-]{5,}$/.test(value)) errors[field] = t("field.phone.invalid");
    });
    return errors;
  }

  function submitJoin(event) {
    event.preventDefault();
    S.joinErrors = validate(S.joinNeeds, S.joinValues);
    var invalid = Object.keys(S.joinErrors);
    if (invalid.length) {
      focusAfterRender = "join-" + invalid[0];
      render();
      say(S.joinErrors[invalid[0]]);
      return;
    }
    S.focusNoticeOnJoin = true; // the form disappears; the notice heading takes the focus
    S.phase = "connecting";
    render();
    join();
  }

  /* ----- the notice */

  function noticeView() {
    var notice = S.notice;
    var list = purposes();
    var consent = list.filter(isConsent);
    var objectable = list.filter(isObjectable);
    var informational = list.filter(function (p) { return !isConsent(p) && !isObjectable(p); });

    var root = h("div", { class: "card notice" });
    root.appendChild(noticeHeader(notice));
    root.appendChild(section("consent", t("notice.section.consent"), t("notice.intro"), consent));
    root.appendChild(section("objectable", t("notice.section.objectable"),
      t("basis.legitimate_interests.explained"), objectable));
    root.appendChild(section("informational", t("notice.section.informational"), null, informational));

    var footer = h("div", { class: "notice-foot" });
    var policy = safeUrl(notice.privacy_policy_url);
    if (policy) {
      footer.appendChild(h("a", { class: "link", href: policy, target: "_blank", rel: "noopener noreferrer" },
        t("notice.privacy_policy"), h("span", { class: "visually-hidden", text: " " + t("link.new_tab") })));
    }
    var pending = pendingCount();
    if (pending === 0) {
      footer.appendChild(h("button", {
        type: "button", class: "button button--primary", "data-key": "done",
        onclick: function () {
          S.view = "summary";
          S.editing = false;
          S.grant = null;
          focusAfterRender = "summary-title";
          render();
        }
      }, t("action.done")));
    } else {
      footer.appendChild(h("p", { class: "muted", text: tp("notice.pending", pending) }));
    }
    root.appendChild(footer);
    return root;
  }

  function noticeHeader(notice) {
    var controller = notice.controller || {};
    var header = h("header", { class: "notice-head" });
    var titles = h("div", { class: "notice-titles" },
      h("h1", { class: "title", id: "notice-title", tabindex: "-1", "data-key": "notice-title", lang: notice.language, text: notice.name || t("widget.frame_title") }));
    var who = h("div", { class: "controller" });
    if (controller.name) {
      who.appendChild(h("p", { text: t("notice.controller", { name: controller.name }) }));
    }
    if (controller.contact_email) {
      who.appendChild(h("p", null, t("notice.contact") + " ",
        h("a", { class: "link", href: "mailto:" + controller.contact_email, text: controller.contact_email })));
    }
    titles.appendChild(who);
    header.appendChild(titles);
    var languages = notice.languages || [];
    if (languages.length > 1) header.appendChild(languagePicker(languages, notice.language));
    return header;
  }

  function languagePicker(languages, selected) {
    var select = h("select", {
      id: "language", "data-key": "language",
      onchange: function (event) { switchLanguage(event.target.value); }
    }, languages.map(function (code) {
      return h("option", { value: code, lang: code, selected: code === selected ? true : null, text: i18n.languageName(code) });
    }));
    return h("div", { class: "language" }, h("label", { for: "language", text: t("notice.language") }), select);
  }

  function section(name, title, description, list) {
    if (!list.length) return null;
    var headingId = "section-" + name;
    return h("section", { class: "purposes purposes--" + name, "aria-labelledby": headingId },
      h("h2", { id: headingId, class: "section-title", text: title }),
      description ? h("p", { class: "section-description", text: description }) : null,
      h("ul", { class: "purpose-list", role: "list" }, list.map(function (p) { return h("li", null, purposeCard(p)); })));
  }

  function purposeCard(p) {
    var titleId = "purpose-" + p.key + "-title";
    var state = shownState(p.key);
    var card = h("article", { class: "purpose purpose--" + state, "aria-labelledby": titleId });
    card.appendChild(h("div", { class: "purpose-head" },
      h("h3", { id: titleId, class: "purpose-title", lang: S.notice.language, text: p.title }),
      h("span", { class: "basis basis--" + p.lawful_basis, text: basisName(p.lawful_basis) })));
    if (p.description) card.appendChild(h("p", { class: "purpose-description", lang: S.notice.language, text: p.description }));

    var facts = h("ul", { class: "facts", role: "list" });
    var data = (p.data || []).map(dataPhrase);
    facts.appendChild(fact(t("fact.data"), data.length ? joinList(data) : t("data.none")));
    facts.appendChild(fact(t("fact.retention"), retentionText(p.retention_days)));
    if (p.gates_recording) facts.appendChild(fact(t("fact.recording"), t("fact.recording.gates")));
    card.appendChild(facts);
    // Consent and objection are explained once, above their section; the other bases differ.
    if (!isConsent(p) && !isObjectable(p)) {
      card.appendChild(h("p", { class: "basis-explained", text: basisExplained(p.lawful_basis) }));
    }

    if (isConsent(p)) card.appendChild(consentControls(p, state, titleId));
    else if (isObjectable(p)) card.appendChild(objectionControls(p, state, titleId));
    return card;
  }

  function fact(label, value) {
    return h("li", { class: "fact" }, h("span", { class: "fact-label", text: label }), h("span", { class: "fact-value", text: value }));
  }

  function statusLine(p, state) {
    var saving = isSaving(p.key);
    var error = S.errors[p.key];
    return h("p", { class: "status" + (error ? " status--error" : ""), id: "purpose-" + p.key + "-status" },
      error ? icon("alert") : null,
      h("span", { text: error || stateSentence(state) }),
      saving ? h("span", { class: "saving" }, h("span", { class: "spinner spinner--small", "aria-hidden": "true" }), t("status.saving")) : null);
  }

  function choiceButton(key, label, pressed, onclick, describedBy) {
    return h("button", {
      type: "button",
      class: "choice" + (pressed ? " choice--on" : ""),
      "aria-pressed": pressed ? "true" : "false",
      "aria-describedby": describedBy,
      "data-key": key,
      onclick: onclick
    }, pressed ? icon("check") : null, h("span", { text: label }));
  }

  function consentControls(p, state, titleId) {
    var statusId = "purpose-" + p.key + "-status";
    var granted = state === "granted";
    var refused = state === "denied" || state === "withdrawn";
    var wrap = h("div", { class: "controls" });
    wrap.appendChild(h("div", { class: "choices", role: "group", "aria-labelledby": titleId },
      choiceButton("accept-" + p.key, t("action.accept"), granted, function () { accept(p); }, statusId),
      choiceButton("decline-" + p.key, t("action.decline"), refused, function () { decline(p); }, statusId)));
    wrap.appendChild(statusLine(p, state));
    if (S.grant && S.grant.purpose === p.key) wrap.appendChild(grantForm(p));
    return wrap;
  }

  function objectionControls(p, state, titleId) {
    var statusId = "purpose-" + p.key + "-status";
    var objected = state === "objected";
    var wrap = h("div", { class: "controls" });
    wrap.appendChild(h("div", { class: "choices choices--single", role: "group", "aria-labelledby": titleId },
      choiceButton("object-" + p.key, t("action.object"), objected, function () {
        S.errors[p.key] = null;
        decide(p, objected ? "not_objected" : "objected");
      }, statusId)));
    wrap.appendChild(statusLine(p, state));
    return wrap;
  }

  function grantForm(p) {
    var g = S.grant;
    var legendId = "grant-" + p.key + "-legend";
    var form = h("form", { class: "grant", novalidate: true, "aria-labelledby": legendId, onsubmit: function (event) {
      event.preventDefault();
      if (isSaving(p.key)) return; // already on its way: a second press must not grant twice
      g.errors = validate(g.needs, g.values);
      var invalid = Object.keys(g.errors);
      if (invalid.length) {
        focusAfterRender = "grant-" + invalid[0];
        render();
        say(g.errors[invalid[0]]);
        return;
      }
      var fields = {};
      g.needs.forEach(function (field) { fields[field] = g.values[field]; });
      focusAfterRender = "accept-" + p.key;
      decide(p, "granted", fields);
    } });
    form.appendChild(h("p", { id: legendId, class: "grant-legend", text: t("grant.legend", { purpose: p.title }) }));
    g.needs.forEach(function (field, index) {
      form.appendChild(fieldInput("grant", field, g.values, g.errors, index === 0));
    });
    form.appendChild(h("p", { class: "hint", text: t("grant.hint") }));
    form.appendChild(h("div", { class: "actions" },
      h("button", { type: "submit", class: "button button--primary", "data-key": "grant-submit" }, t("action.confirm_accept")),
      h("button", {
        type: "button", class: "button", "data-key": "grant-cancel",
        onclick: function () {
          S.grant = null;
          focusAfterRender = "accept-" + p.key;
          render();
        }
      }, t("action.cancel"))));
    return form;
  }

  function accept(p) {
    S.errors[p.key] = null;
    if (shownState(p.key) === "granted") return;
    var needs = fieldsToAsk(p);
    if (!needs.length) {
      S.grant = null;
      decide(p, "granted");
      return;
    }
    S.grant = { purpose: p.key, needs: needs, values: {}, errors: {} };
    focusAfterRender = "grant-" + needs[0];
    render();
    say(t("grant.legend", { purpose: p.title }));
  }

  function decline(p) {
    S.errors[p.key] = null;
    if (S.grant && S.grant.purpose === p.key) S.grant = null;
    var current = shownState(p.key);
    if (current === "denied" || current === "withdrawn") {
      render();
      return;
    }
    // Declining a grant is withdrawing it (Art. 7(3)): one click, like granting.
    decide(p, current === "granted" ? "withdrawn" : "denied");
  }

  /* ----- the compact summary, and the end of the call */

  function summaryView(canChange) {
    var list = purposes().filter(function (p) { return isConsent(p) || isObjectable(p); });
    var root = h("section", { class: "card summary", "aria-labelledby": "summary-title" });
    root.appendChild(h("div", { class: "summary-head" },
      h("h1", { id: "summary-title", class: "title", tabindex: "-1", "data-key": "summary-title", text: t("summary.title") }),
      S.notice && S.notice.name ? h("p", { class: "muted", lang: S.notice.language, text: S.notice.name }) : null));
    if (list.length) {
      root.appendChild(h("ul", { class: "summary-list", role: "list" }, list.map(function (p) {
        var state = shownState(p.key);
        var mark = state === "granted" || state === "not_objected" ? "check" : state === "pending" ? "info" : "cross";
        return h("li", { class: "summary-item summary-item--" + state },
          h("span", { class: "summary-mark" }, icon(mark)),
          h("span", { class: "summary-purpose", lang: S.notice.language, text: p.title }),
          h("span", { class: "summary-state", text: stateLabel(state) }));
      })));
    } else {
      root.appendChild(h("p", { text: t("summary.nothing_to_choose") }));
    }
    var foot = h("div", { class: "summary-foot" });
    if (canChange) {
      foot.appendChild(h("button", {
        type: "button", class: "button button--primary", "data-key": "change",
        onclick: function () {
          S.view = "notice";
          S.editing = true;
          focusAfterRender = "notice-title";
          render();
        }
      }, t("action.change")));
    }
    if (S.receipt && S.receipt.id) {
      foot.appendChild(h("p", { class: "receipt" },
        h("span", { class: "receipt-label", text: t("summary.receipt") + " " }),
        h("code", { text: S.receipt.id })));
    }
    root.appendChild(foot);
    return root;
  }

  function endedView() {
    var wrap = h("div", { class: "stack" });
    wrap.appendChild(messageCard("ended", t("ended.title"), S.notice ? t("ended.body") : t("ended.not_joined")));
    if (S.notice) wrap.appendChild(summaryView(false));
    return wrap;
  }

  function safeUrl(value) {
    try {
      var url = new URL(value);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  /* ---------------------------------------------------------------- decisions */

  var queue = []; // [{event_id, choices, fields?, purpose}]
  var inFlight = false;

  function decide(p, choice, fields) {
    var item = { event_id: uuid(), choices: {}, purpose: p.key };
    item.choices[p.key] = choice;
    if (fields) item.fields = fields;
    queue.push(item);
    render();
    pump();
  }

  function pump() {
    if (inFlight || !queue.length || S.phase !== "ready" || !socket.connected) return;
    var item = queue[0];
    var payload = { event_id: item.event_id, choices: item.choices };
    if (item.fields) payload.fields = item.fields;
    inFlight = true;
    socket.timeout(ACK_TIMEOUT_MS).emit("decide", payload, function (err, ack) {
      inFlight = false;
      if (err) {
        // No answer: keep the decision and send it again with the same event_id (the server
        // answers a repeated event_id with the first result), now or after the reconnect.
        if (socket.connected) setTimeout(pump, 1000);
        return;
      }
      queue.shift();
      if (ack && ack.ok) decided(item, ack);
      else refusedDecision(item, (ack && ack.error) || {});
      pump();
    });
  }

  function decided(item, ack) {
    var p = purposeByKey(item.purpose);
    S.state = ack.state || S.state;
    if (ack.receipt) S.receipt = ack.receipt;
    saveSession();
    if (S.grant && S.grant.purpose === item.purpose && item.choices[item.purpose] === "granted") S.grant = null;
    postState();
    var title = p ? p.title : item.purpose;
    var message = t("announce.saved", { purpose: title, state: stateLabel(S.state[item.purpose]) });
    // Once nothing is left to decide, the widget folds into the summary (unless the participant
    // opened it on purpose to change something; then "Done" closes it).
    if (S.view === "notice" && !S.editing && !queue.length && pendingCount() === 0 && !S.grant &&
        purposes().some(isConsent)) {
      S.view = "summary";
      if (interacting()) focusAfterRender = "summary-title";
      message += " " + t("announce.all_decided");
    }
    render();
    say(message);
  }

  function refusedDecision(item, error) {
    var p = purposeByKey(item.purpose);
    var fieldErrors = error.fields || {};
    var wanted = Object.keys(fieldErrors).map(function (name) { return name.split(".").pop(); })
      .filter(function (name) { return DATA_FIELDS.indexOf(name) !== -1; });
    if (p && item.choices[item.purpose] === "granted" && wanted.length &&
        (error.code === "missing_field" || error.code === "validation_failed")) {
      // The server wants data the widget did not think to ask for (or found it invalid): ask now.
      var values = (S.grant && S.grant.purpose === p.key) ? S.grant.values : Object.assign({}, item.fields || {});
      var errors = {};
      Object.keys(fieldErrors).forEach(function (name) {
        var messages = fieldErrors[name];
        errors[name.split(".").pop()] = Array.isArray(messages) ? messages.join(" ") : String(messages);
      });
      var needs = fieldsToAsk(p);
      wanted.forEach(function (field) { if (needs.indexOf(field) === -1) needs.push(field); });
      S.grant = { purpose: p.key, needs: needs, values: values, errors: errors };
      focusAfterRender = "grant-" + wanted[0];
    } else if (error.code === "call_ended") {
      callEnded();
      return;
    } else if (p) {
      S.errors[p.key] = error.message || t("error.decision");
    }
    render();
    say(t("announce.not_saved", { purpose: p ? p.title : item.purpose }) + " " + (error.message || ""));
  }

  /* ---------------------------------------------------------------- session */

  function saveSession() {
    var saved = {};
    if (S.participant && S.participant.resume) {
      saved.resume = S.participant.resume;
      saved.participant = S.participant.id;
    }
    if (S.receipt) saved.receipt = S.receipt;
    store.write(saved);
  }

  var socket = null;

  function preferredLanguage() {
    return S.language || browserLanguages[0] || undefined;
  }

  function join() {
    var fields = {};
    S.joinNeeds.forEach(function (field) {
      if (S.joinValues[field]) fields[field] = S.joinValues[field];
    });
    var payload = { fields: fields };
    var language = preferredLanguage();
    if (language) payload.language = language;
    socket.timeout(ACK_TIMEOUT_MS).emit("join", payload, function (err, ack) {
      if (err) {
        if (socket.connected) socket.disconnect().connect();
        return;
      }
      if (ack && ack.ok) joined(ack);
      else joinRefused((ack && ack.error) || {}, ack || {});
    });
  }

  function joined(ack) {
    var wasJoined = S.joined;
    S.participant = ack.participant || S.participant;
    var saved = store.read();
    if (saved.participant && S.participant && saved.participant !== S.participant.id) S.receipt = null;
    S.notice = ack.notice;
    S.state = ack.state || {};
    S.joined = true;
    S.joinErrors = {};
    saveSession();
    if (!wasJoined) S.view = S.resumedAtLoad && pendingCount() === 0 ? "summary" : "notice";
    if (pendingCount() > 0) S.view = "notice";
    var wasReconnecting = S.phase === "reconnecting";
    S.phase = "ready";
    if (S.focusNoticeOnJoin) {
      S.focusNoticeOnJoin = false;
      focusAfterRender = S.view === "summary" ? "summary-title" : "notice-title";
    }
    var uiLanguage = i18n.pick([S.notice.language]) || i18n.pick(browserLanguages) || "en";
    i18n.use(uiLanguage).then(function () {
      render();
      postReady();
      postState();
      if (wasReconnecting) say(t("connection.restored"));
      else if (!wasJoined) say(t("announce.ready", { name: S.notice.name || "" }));
      pump();
    });
  }

  function joinRefused(error, ack) {
    if (error.code === "call_ended") {
      callEnded();
      return;
    }
    var fieldErrors = error.fields || {};
    var wanted = Object.keys(fieldErrors).map(function (name) { return name.split(".").pop(); })
      .filter(function (name) { return DATA_FIELDS.indexOf(name) !== -1; });
    if ((error.code === "missing_field" || error.code === "validation_failed") && wanted.length) {
      if (ack.notice) S.notice = ack.notice; // if the server sends the notice along, show its name
      S.joinPurposes = purposes()
        .filter(function (p) { return !isConsent(p) && (p.data || []).some(function (f) { return wanted.indexOf(f) !== -1; }); })
        .map(function (p) { return p.title; });
      var hadValues = S.joinNeeds.length > 0;
      S.joinNeeds = wanted;
      S.joinErrors = {};
      if (hadValues) {
        wanted.forEach(function (field) {
          var messages = fieldErrors[field] || fieldErrors["fields." + field];
          if (messages && S.joinValues[field]) S.joinErrors[field] = Array.isArray(messages) ? messages.join(" ") : String(messages);
        });
      }
      S.phase = "join_form";
      if (interacting()) focusAfterRender = "join-" + wanted[0];
      render();
      say(t("join.needed"));
      return;
    }
    S.phase = "failed";
    S.failure = { message: error.message };
    render();
    say(error.message || t("error.generic.body"));
  }

  function callEnded() {
    S.phase = "ended";
    S.grant = null;
    queue = [];
    store.clear();
    if (socket) socket.disconnect();
    render();
    say(t("ended.title"));
  }

  function switchLanguage(code) {
    S.language = code;
    focusAfterRender = "language";
    // Join again as the same participant (the resume secret) to get the notice in that language.
    socket.disconnect();
    socket.connect();
  }

  function refusalCode(err) {
    var data = err && err.data;
    if (data && typeof data === "object" && typeof data.code === "string") return data.code;
    var match = String((err && err.message) || "").match(/\b(invalid_token|wrong_role|wrong_call|token_expired|call_ended)\b/);
    return match ? match[1] : null;
  }

  function connect() {
    socket = window.io("/participant", {
      path: basePath + "/socket.io",
      transports: ["websocket", "polling"],
      tryAllTransports: true,
      autoConnect: false,
      reconnectionDelayMax: 10000,
      // A function, so every reconnection sends the latest resume secret.
      auth: function (cb) {
        var auth = { token: token };
        if (callId) auth.call = callId;
        // Memory first: it survives a dropped connection even where storage is blocked.
        var resume = (S.participant && S.participant.resume) || store.read().resume;
        if (resume) auth.resume = resume;
        cb(auth);
      }
    });

    socket.on("connect", function () {
      join();
    });

    socket.on("connect_error", function (err) {
      if (socket.active) {
        // A network problem: socket.io tries again by itself.
        if (S.phase === "ready") say(t("connection.lost"));
        if (S.phase !== "join_form") S.phase = S.notice || S.phase === "reconnecting" ? "reconnecting" : "connecting";
        render();
        return;
      }
      var code = refusalCode(err);
      var hadResume = Boolean((S.participant && S.participant.resume) || store.read().resume);
      if (hadResume && TERMINAL_REFUSALS.indexOf(code) === -1) {
        // The resume secret is stale (say, the participant was purged): join afresh.
        store.clear();
        S.participant = null;
        S.receipt = null;
        socket.connect();
        return;
      }
      if (code === "call_ended" && S.notice) {
        callEnded();
        return;
      }
      S.phase = "refused";
      S.refusal = code;
      render();
      say(view().textContent);
    });

    socket.on("disconnect", function (reason) {
      if (S.phase === "ended") return;
      if (reason === "io client disconnect") return;
      if (S.phase === "ready") say(t("connection.lost"));
      if (S.phase !== "join_form") S.phase = "reconnecting";
      render();
      // The server closed the connection on purpose; socket.io will not retry by itself.
      if (reason === "io server disconnect") setTimeout(function () { socket.connect(); }, 2000);
    });

    socket.on("call_ended", callEnded);

    socket.connect();
  }

  /* ---------------------------------------------------------------- start */

  // The token is the page's identity: a new one in the fragment means a new page.
  window.addEventListener("hashchange", function () { location.reload(); });

  var firstLanguage = i18n.pick(browserLanguages) || "en";
  i18n.use(firstLanguage).catch(function () { return "en"; }).then(function () {
    postReady();
    if (!token) {
      S.phase = "no_token";
      render();
      return;
    }
    S.phase = "connecting";
    render();
    storageKey(token).then(function (key) {
      store.key = key;
      var saved = store.read();
      S.resumedAtLoad = Boolean(saved.resume);
      if (saved.receipt) S.receipt = saved.receipt;
      connect();
    });
  });
})();
