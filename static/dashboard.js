/*
 * Host dashboard: the live roster of one call.
 *
 * The server sends a `roster` on connect, then numbered `update`s (one object or a list). Updates
 * are applied strictly in sequence: a gap (a missed update) or a reconnect asks for `resync` from
 * the last applied number, and the acknowledgement brings the missed updates or a fresh roster.
 *
 * Rendering is built for thousands of participants: one keyed row per participant, changed in place,
 * and all DOM work of a burst done once per animation frame.
 */
(function () {
  "use strict";

  var i18n = window.WidgetI18n;
  var t = i18n.t;
  var stateLabel = i18n.stateLabel;
  var tp = i18n.tp;

  var ACK_TIMEOUT_MS = 15000;
  var RESYNC_RETRY_MS = 2000;

  var token = new URLSearchParams(location.hash.slice(1)).get("token");
  var basePath = location.pathname.replace(/\/host\/?$/, "");

  var $ = function (id) { return document.getElementById(id); };
  var ui = {
    main: $("main"),
    live: $("live"),
    title: $("call-title"),
    connection: $("connection"),
    connectionText: $("connection-text"),
    problem: $("problem"),
    gate: $("gate"),
    gateTitle: $("gate-title"),
    gateDetail: $("gate-detail"),
    present: $("present-count"),
    purposeStats: $("purpose-stats"),
    rosterCount: $("roster-count"),
    headRow: $("roster-head-row"),
    table: $("roster-table"),
    body: $("roster-body"),
    empty: $("roster-empty"),
    filterText: $("filter-text"),
    filterShow: $("filter-show")
  };

  /* ---------------------------------------------------------------- model */

  var model = {
    call: null,
    seq: -1, // last applied sequence number; -1 until the first roster
    summary: { present: 0, purposes: {} },
    gate: null,
    purposes: [], // [{key, title, lawful_basis, gates_recording}] shown as columns
    declared: false, // whether the roster declared the purposes (call.purposes)
    people: new Map(), // id -> {data, row, cells, visible}
    ended: false
  };

  var haveRoster = false;
  var resyncing = false;
  var waiting = []; // updates that arrived before the roster or during a resync
  var connectedOnce = false;

  function applyRoster(roster) {
    model.call = roster.call || model.call;
    model.seq = typeof roster.seq === "number" ? roster.seq : 0;
    model.summary = roster.summary || model.summary;
    model.gate = roster.gate || model.gate;
    model.ended = Boolean(model.call && model.call.status && model.call.status !== "open");
    model.purposes = purposeColumns(roster);
    model.people = new Map();
    (roster.participants || []).forEach(function (p) {
      model.people.set(p.id, { data: p, row: null, cells: null, visible: true });
    });
    haveRoster = true;
    view.rebuild = true;
    schedule();
  }

  /** The columns: the call's consent and objectable purposes, from call.purposes when given. */
  function purposeColumns(roster) {
    var declared = roster.call && Array.isArray(roster.call.purposes) ? roster.call.purposes : null;
    model.declared = Boolean(declared);
    if (declared) {
      return declared.filter(function (p) {
        return p.lawful_basis === "consent" || p.lawful_basis === "legitimate_interests";
      });
    }
    // Without declarations, infer the keys from what the states hold; "informed" only = nothing to show.
    var keys = {};
    var note = function (key, state) {
      keys[key] = keys[key] || state !== "informed";
    };
    Object.keys((roster.summary || {}).purposes || {}).forEach(function (key) {
      Object.keys(roster.summary.purposes[key]).forEach(function (state) { note(key, state); });
    });
    (roster.participants || []).forEach(function (p) {
      Object.keys(p.state || {}).forEach(function (key) { note(key, p.state[key]); });
    });
    return Object.keys(keys).filter(function (k) { return keys[k]; }).map(function (key) {
      return { key: key, title: key, lawful_basis: null, gates_recording: null };
    });
  }

  /** Without declared purposes, a purpose first seen in an update becomes a new column. */
  function learnColumns(state) {
    if (model.declared || !state) return;
    Object.keys(state).forEach(function (key) {
      var known = model.purposes.some(function (p) { return p.key === key; });
      if (!known && state[key] !== "informed") {
        model.purposes.push({ key: key, title: key, lawful_basis: null, gates_recording: null });
        view.rebuild = true;
      }
    });
  }

  /** Apply one update. Returns false when it is not the next in sequence (a gap). */
  function applyUpdate(u) {
    if (typeof u.seq !== "number" || u.seq <= model.seq) return true; // already applied
    if (u.seq !== model.seq + 1) return false;
    model.seq = u.seq;
    if (u.summary) model.summary = u.summary;
    if (u.gate) model.gate = u.gate;
    if (u.kind === "call_ended") {
      model.ended = true;
      view.endedNow = true;
    }
    if (u.participant && u.participant.id) {
      learnColumns(u.participant.state);
      var entry = model.people.get(u.participant.id);
      if (entry) {
        entry.data = Object.assign({}, entry.data, u.participant);
      } else {
        entry = { data: u.participant, row: null, cells: null, visible: true };
        model.people.set(u.participant.id, entry);
      }
      view.dirty.add(u.participant.id);
    }
    view.overviewDirty = true;
    return true;
  }

  function bySeq(a, b) { return a.seq - b.seq; }

  function receive(list) {
    if (!haveRoster || resyncing) {
      Array.prototype.push.apply(waiting, list);
      return;
    }
    list = list.slice().sort(bySeq);
    for (var i = 0; i < list.length; i++) {
      if (!applyUpdate(list[i])) {
        waiting = list.slice(i);
        resync();
        break;
      }
    }
    schedule();
  }

  function drainWaiting() {
    var list = waiting.sort(bySeq);
    waiting = [];
    receive(list);
  }

  function resync() {
    if (resyncing || !socket.connected) return;
    resyncing = true;
    socket.timeout(ACK_TIMEOUT_MS).emit("resync", { since: model.seq }, function (err, ack) {
      resyncing = false;
      if (err || !ack || !ack.ok) {
        setTimeout(resync, RESYNC_RETRY_MS);
        return;
      }
      if (ack.roster) {
        if (ack.roster.seq >= model.seq) applyRoster(ack.roster);
      } else {
        var missed = (ack.updates || []).slice().sort(bySeq);
        for (var i = 0; i < missed.length; i++) {
          if (!applyUpdate(missed[i])) break; // cannot happen with a consistent server; waiting resyncs again
        }
      }
      schedule();
      drainWaiting();
    });
  }

  /* ---------------------------------------------------------------- helpers for the view */

  var CONSENT_STATES = ["granted", "pending", "denied", "withdrawn"];
  var OBJECTION_STATES = ["not_objected", "objected"];

  function basisName(basis) {
    switch (basis) {
      case "consent": return t("basis.consent.name");
      case "legitimate_interests": return t("basis.legitimate_interests.name");
      default: return "";
    }
  }

  function channelLabel(channel) {
    switch (channel) {
      case "widget": return t("host.channel.widget");
      case "api": return t("host.channel.api");
      default: return channel ? String(channel) : "–";
    }
  }

  function gatesRecording(purpose) {
    return purpose.gates_recording === true;
  }

  /** Whether this participant holds recording back now: present, and a gating purpose not granted. */
  function isBlocking(person) {
    if (!person.present || model.ended) return false;
    return model.purposes.some(function (p) {
      return gatesRecording(p) && (person.state || {})[p.key] !== "granted";
    });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function svgIcon(d) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 20 20");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", d);
    svg.appendChild(path);
    return svg;
  }

  var sayTimer = null;
  function say(text) {
    ui.live.textContent = "";
    clearTimeout(sayTimer);
    sayTimer = setTimeout(function () { ui.live.textContent = text; }, 60);
  }

  /* ---------------------------------------------------------------- view (batched per frame) */

  var view = {
    dirty: new Set(),
    rebuild: false,
    overviewDirty: true,
    endedNow: false,
    frame: 0,
    filter: { text: "", show: "all" },
    lastGateText: null,
    columnsKey: ""
  };

  function schedule() {
    if (view.frame) return;
    view.frame = requestAnimationFrame(flush);
  }

  function flush() {
    view.frame = 0;
    if (!haveRoster) return;
    ui.main.setAttribute("aria-busy", "false");
    if (view.rebuild) {
      rebuildTable();
      view.rebuild = false;
      view.dirty.clear();
    } else if (view.dirty.size) {
      var added = document.createDocumentFragment();
      view.dirty.forEach(function (id) {
        var entry = model.people.get(id);
        if (!entry) return;
        if (!entry.row) {
          createRow(entry);
          added.appendChild(entry.row);
        } else {
          updateRow(entry);
        }
        applyFilter(entry);
      });
      view.dirty.clear();
      ui.body.appendChild(added); // new participants go to the end, in join order
    }
    if (view.overviewDirty) {
      renderOverview();
      view.overviewDirty = false;
    }
    renderCounts();
    if (view.endedNow) {
      view.endedNow = false;
      // Everyone's "blocking" changes when the call ends.
      model.people.forEach(function (entry) { if (entry.row) updateRow(entry); });
    }
  }

  function rebuildTable() {
    ui.title.textContent = (model.call && model.call.title) || t("host.untitled");
    var head = document.createDocumentFragment();
    ui.table.style.setProperty("--purpose-count", String(Math.max(model.purposes.length, 1)));
    [["col-name", t("host.column.participant")], ["col-channel", t("host.column.channel")],
      ["col-presence", t("host.column.presence")]].forEach(function (column) {
      var th = el("th", column[0], column[1]);
      th.scope = "col";
      th.setAttribute("role", "columnheader");
      head.appendChild(th);
    });
    model.purposes.forEach(function (p) {
      var th = el("th", "purpose-col");
      th.scope = "col";
      th.setAttribute("role", "columnheader");
      th.appendChild(el("span", "col-title", p.title || p.key));
      if (gatesRecording(p)) th.appendChild(el("span", "col-note", t("host.column.gates")));
      head.appendChild(th);
    });
    ui.headRow.replaceChildren(head);

    var rows = document.createDocumentFragment();
    model.people.forEach(function (entry) {
      createRow(entry);
      applyFilter(entry);
      rows.appendChild(entry.row);
    });
    ui.body.replaceChildren(rows);
    var blockingOption = ui.filterShow.querySelector('option[value="blocking"]');
    blockingOption.hidden = blockingOption.disabled = !model.declared;
    if (!model.declared && view.filter.show === "blocking") {
      ui.filterShow.value = view.filter.show = "all";
    }
    view.overviewDirty = true;
  }

  function createRow(entry) {
    var row = el("tr");
    row.setAttribute("role", "row");
    var name = el("th", "cell-name");
    name.scope = "row";
    name.setAttribute("role", "rowheader");
    var channel = el("td", "cell-channel");
    channel.setAttribute("role", "cell");
    channel.setAttribute("data-label", t("host.column.channel"));
    var presence = el("td", "cell-presence");
    presence.setAttribute("role", "cell");
    presence.setAttribute("data-label", t("host.column.presence"));
    var presenceDot = el("span", "presence-dot");
    presenceDot.setAttribute("aria-hidden", "true");
    var presenceText = el("span", "presence-text");
    presence.appendChild(presenceDot);
    presence.appendChild(presenceText);
    row.appendChild(name);
    row.appendChild(channel);
    row.appendChild(presence);
    var states = {};
    model.purposes.forEach(function (p) {
      var cell = el("td", "cell-state");
      cell.setAttribute("role", "cell");
      cell.setAttribute("data-label", p.title || p.key);
      var badge = el("span", "badge");
      cell.appendChild(badge);
      row.appendChild(cell);
      states[p.key] = badge;
    });
    entry.row = row;
    entry.cells = { name: name, channel: channel, presence: presence, presenceText: presenceText, states: states, last: {} };
    updateRow(entry);
  }

  function setText(entry, key, node, text) {
    if (entry.cells.last[key] !== text) {
      entry.cells.last[key] = text;
      node.textContent = text;
    }
  }

  function setClass(entry, key, node, className) {
    if (entry.cells.last["class:" + key] !== className) {
      entry.cells.last["class:" + key] = className;
      node.className = className;
    }
  }

  function updateRow(entry) {
    var p = entry.data;
    var c = entry.cells;
    setText(entry, "name", c.name, p.label || p.id);
    setText(entry, "channel", c.channel, channelLabel(p.channel));
    setText(entry, "presence", c.presenceText, p.present ? t("host.presence.here") : t("host.presence.left"));
    setClass(entry, "presence", c.presence, "cell-presence" + (p.present ? " is-here" : " is-gone"));
    var blocking = isBlocking(p);
    setClass(entry, "row", entry.row, (p.present ? "" : "row--gone") + (blocking ? " row--blocking" : ""));
    model.purposes.forEach(function (purpose) {
      var state = (p.state || {})[purpose.key] || "";
      setText(entry, "s:" + purpose.key, c.states[purpose.key], stateLabel(state));
      setClass(entry, "sc:" + purpose.key, c.states[purpose.key], "badge badge--" + (state || "none"));
    });
  }

  function matches(entry) {
    var p = entry.data;
    var f = view.filter;
    if (f.text && String(p.label || "").toLowerCase().indexOf(f.text) === -1) return false;
    if (f.show === "present") return Boolean(p.present);
    if (f.show === "left") return !p.present;
    if (f.show === "blocking") return isBlocking(p);
    return true;
  }

  function applyFilter(entry) {
    var visible = matches(entry);
    if (visible !== entry.visible || entry.row.hidden === visible) {
      entry.visible = visible;
      entry.row.hidden = !visible;
    }
  }

  function refilter() {
    model.people.forEach(function (entry) { if (entry.row) applyFilter(entry); });
    renderCounts();
  }

  function renderCounts() {
    var total = model.people.size;
    var shown = 0;
    model.people.forEach(function (entry) { if (entry.visible) shown++; });
    ui.rosterCount.textContent = shown === total
      ? tp("host.roster.count", total)
      : t("host.roster.showing", { shown: i18n.formatNumber(shown), total: i18n.formatNumber(total) });
    ui.empty.hidden = shown !== 0;
    ui.empty.textContent = total === 0 ? t("host.roster.empty") : t("host.roster.no_match");
  }

  function renderOverview() {
    var summary = model.summary || { present: 0, purposes: {} };
    ui.present.textContent = i18n.formatNumber(summary.present || 0);
    renderGate();

    var items = document.createDocumentFragment();
    model.purposes.forEach(function (p) {
      var counts = (summary.purposes || {})[p.key] || {};
      var states = p.lawful_basis === "legitimate_interests" ? OBJECTION_STATES : CONSENT_STATES;
      if (p.lawful_basis === null) {
        states = CONSENT_STATES.concat(OBJECTION_STATES).filter(function (s) { return counts[s]; });
      }
      var total = states.reduce(function (sum, s) { return sum + (counts[s] || 0); }, 0);
      var li = el("li", "purpose-stat");
      var head = el("div", "purpose-stat-head");
      head.appendChild(el("h3", "purpose-stat-title", p.title || p.key));
      if (basisName(p.lawful_basis)) head.appendChild(el("span", "basis basis--" + p.lawful_basis, basisName(p.lawful_basis)));
      li.appendChild(head);
      var bar = el("div", "bar");
      bar.setAttribute("aria-hidden", "true");
      states.forEach(function (s) {
        var n = counts[s] || 0;
        if (!n || !total) return;
        var seg = el("span", "bar-seg bar-seg--" + s);
        seg.style.width = (100 * n / total).toFixed(2) + "%";
        bar.appendChild(seg);
      });
      li.appendChild(bar);
      var legend = el("ul", "legend");
      legend.setAttribute("role", "list");
      states.forEach(function (s) {
        var item = el("li", "legend-item legend-item--" + s);
        item.appendChild(el("span", "swatch swatch--" + s));
        item.appendChild(el("span", "legend-label", stateLabel(s)));
        item.appendChild(el("span", "legend-count", i18n.formatNumber(counts[s] || 0)));
        legend.appendChild(item);
      });
      li.appendChild(legend);
      items.appendChild(li);
    });
    ui.purposeStats.replaceChildren(items);
  }

  function renderGate() {
    var gate = model.gate;
    var state, title, detail;
    if (model.ended) {
      state = "ended";
      title = t("host.gate.ended");
      detail = t("host.gate.ended_detail");
    } else if (!gate) {
      state = "unknown";
      title = t("host.gate.waiting");
      detail = "";
    } else if (gate.recording_allowed) {
      state = "allowed";
      title = t("host.gate.allowed");
      detail = t("host.gate.allowed_detail");
    } else if (gate.blocking > 0) {
      state = "blocked";
      title = tp("host.gate.blocked", gate.blocking);
      detail = t("host.gate.blocked_detail");
      // Who blocks is known only when the roster says which purposes gate recording.
      if (model.declared) detail += " " + t("host.gate.blocked_hint");
    } else {
      state = "blocked";
      title = t("host.gate.blocked_empty");
      detail = t("host.gate.blocked_empty_detail");
    }
    ui.gate.className = "gate gate--" + state;
    var glyph = { allowed: "M5 10.5l3.5 3.5 7-8", blocked: "M6 6l8 8M14 6l-8 8", ended: "M6.5 6.5h7v7h-7z", unknown: "M10 6v4.5l3 2" }[state];
    if (ui.gate.getAttribute("data-glyph") !== state) {
      ui.gate.setAttribute("data-glyph", state);
      ui.gate.querySelector(".gate-icon").replaceChildren(svgIcon(glyph));
    }
    ui.gateTitle.textContent = title;
    ui.gateDetail.textContent = detail;
    // Announce the gate when its meaning changes, not on every count.
    var meaning = state + (state === "blocked" && gate && gate.blocking > 0 ? ":some" : "");
    if (view.lastGateText !== null && view.lastGateText !== meaning) say(title);
    view.lastGateText = meaning;
  }

  function setConnection(state) {
    var text = {
      connecting: t("host.connection.connecting"),
      live: t("host.connection.live"),
      reconnecting: t("host.connection.reconnecting"),
      ended: t("host.connection.ended")
    }[state];
    ui.connection.className = "connection connection--" + state;
    ui.connectionText.textContent = text;
  }

  function showProblem(title, body) {
    ui.title.textContent = title;
    ui.problem.hidden = false;
    ui.problem.className = "problem";
    ui.problem.replaceChildren(el("p", null, body));
    ui.gate.hidden = true;
    document.querySelector(".overview").hidden = true;
    document.querySelector(".roster").hidden = true;
    ui.main.setAttribute("aria-busy", "false");
    say(title);
  }

  /* ---------------------------------------------------------------- filters */

  var filterTimer = null;
  ui.filterText.addEventListener("input", function () {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(function () {
      view.filter.text = ui.filterText.value.trim().toLowerCase();
      refilter();
    }, 120);
  });
  ui.filterShow.addEventListener("change", function () {
    view.filter.show = ui.filterShow.value;
    refilter();
  });

  /* ---------------------------------------------------------------- connection */

  var socket = null;

  function refusalCode(err) {
    var data = err && err.data;
    if (data && typeof data === "object" && typeof data.code === "string") return data.code;
    var match = String((err && err.message) || "").match(/\b(invalid_token|wrong_role|token_expired|call_ended)\b/);
    return match ? match[1] : null;
  }

  function connect() {
    socket = window.io("/host", {
      path: basePath + "/socket.io",
      transports: ["websocket", "polling"],
      tryAllTransports: true,
      reconnectionDelayMax: 10000,
      auth: { token: token }
    });

    socket.on("connect", function () {
      setConnection(model.ended ? "ended" : "live");
      if (connectedOnce && haveRoster) {
        say(t("host.connection.restored"));
        resync(); // catch up on what happened while away; the server's fresh roster may follow
      }
      connectedOnce = true;
    });

    socket.on("roster", function (roster) {
      // A roster pushed at connect is authoritative unless it is older than what we have.
      if (!haveRoster || (roster && roster.seq > model.seq)) applyRoster(roster);
      if (model.ended) setConnection("ended");
      drainWaiting();
    });

    socket.on("update", function (payload) {
      receive(Array.isArray(payload) ? payload : [payload]);
      if (model.ended) setConnection("ended");
    });

    socket.on("connect_error", function (err) {
      if (socket.active) {
        setConnection(connectedOnce ? "reconnecting" : "connecting");
        return;
      }
      var code = refusalCode(err);
      if (code === "token_expired") showProblem(t("host.error.expired.title"), t("host.error.expired.body"));
      else if (code === "invalid_token" || code === "wrong_role") showProblem(t("host.error.invalid.title"), t("host.error.invalid.body"));
      else showProblem(t("host.error.refused.title"), t("host.error.refused.body", { code: code || "?" }));
      setConnection("ended");
    });

    socket.on("disconnect", function (reason) {
      if (reason === "io client disconnect") return;
      setConnection(model.ended ? "ended" : "reconnecting");
      if (!model.ended) say(t("host.connection.reconnecting"));
      if (reason === "io server disconnect") setTimeout(function () { socket.connect(); }, 2000);
    });
  }

  // The token is the page's identity: a new one in the fragment means a new page.
  window.addEventListener("hashchange", function () { location.reload(); });

  var language = i18n.pick(i18n.browserLanguages()) || "en";
  i18n.use(language).catch(function () { return "en"; }).then(function () {
    if (!token) {
      showProblem(t("host.error.no_token.title"), t("host.error.no_token.body"));
      setConnection("ended");
      return;
    }
    connect();
  });

  // For tests and diagnostics: the applied sequence number and size, never personal data.
  window.consentDashboard = {
    seq: function () { return model.seq; },
    participants: function () { return model.people.size; }
  };
})();
