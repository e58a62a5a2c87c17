/*
 * Consent widget loader: the one script a meeting page embeds.
 *
 *   <script src="https://consent.example/static/widget.js"
 *           data-widget-token="…" data-call="…" async></script>
 *
 * It inserts an iframe served by the consent server, so the consent UI runs on the server's origin
 * and the meeting page cannot forge choices. The call id goes in the iframe's path (it is not a
 * secret; the server needs it to answer with the organisation's frame-ancestors policy); the widget
 * token goes in the fragment, which browsers never send to a server.
 *
 * Optional: data-participant-ref="…" (at most 128 characters) names the participant as the meeting
 * platform knows them; the client's processing pipelines see it next to the participant's id.
 *
 * Optional: data-target="#css-selector" puts the widget inside that element instead of after the
 * script. The page hears about the participant's choices through a "consent-widget:state" event,
 * dispatched on the script element (it bubbles to the document):
 *
 *   document.addEventListener("consent-widget:state", function (e) {
 *     e.detail.state;              // {"recording": "granted", …}
 *     e.detail.recording_allowed;  // true when this participant agreed to every recording purpose
 *   });
 */
(function () {
  "use strict";

  var current = /** @type {HTMLScriptElement | null} */ (document.currentScript);
  if (!current || !current.src) return;
  var script = current;

  var token = script.getAttribute("data-widget-token");
  // The participant's id in the meeting platform, so a processing pipeline can tell speakers
  // apart (at most 128 characters; the server refuses longer). Not a secret, but it names a
  // person there, so it travels in the fragment like the token, never in a query string.
  var ref = script.getAttribute("data-participant-ref");
  var callId = script.getAttribute("data-call") || callFromToken(token);
  if (!token || !callId) {
    console.error("consent widget: the script tag needs data-widget-token and data-call.");
    return;
  }

  var source = new URL(script.src, document.baseURI);
  var serverOrigin = source.origin;
  // Everything before /static/widget.js, so a server behind a path prefix works too.
  var serverBase = source.href.replace(/\/static\/widget\.js(?:[?#].*)?$/, "");

  var frame = document.createElement("iframe");
  // The page's own origin (not a secret) lets the server name it alone in frame-ancestors,
  // rather than every origin the organisation embeds on.
  frame.src = serverBase + "/widget/" + encodeURIComponent(callId) +
    "?parent=" + encodeURIComponent(window.location.origin) + "#token=" + encodeURIComponent(token) +
    (ref ? "&ref=" + encodeURIComponent(ref) : "");
  frame.title = "Consent"; // replaced by the widget's own, translated title once it has loaded
  // The widget learns this page's origin from the handshake below; "origin" also gives it a hint
  // in browsers without location.ancestorOrigins, and never leaks this page's path.
  frame.referrerPolicy = "origin";
  frame.className = "consent-widget-frame";
  frame.setAttribute("data-consent-widget", "");
  // CSSOM assignments, not a style attribute, so a strict style-src on the meeting page allows them.
  frame.style.display = "block";
  frame.style.width = "100%";
  frame.style.height = "180px";
  frame.style.border = "0";
  frame.style.colorScheme = "normal";

  function insert() {
    var target = selector ? document.querySelector(selector) : null;
    if (target) {
      target.appendChild(frame);
    } else if (script.parentNode && script.parentNode !== document.head) {
      script.parentNode.insertBefore(frame, script.nextSibling);
    } else {
      document.body.appendChild(frame);
    }
  }

  // The handshake: tell the widget our origin by messaging it, so it can address its messages to
  // exactly this origin. Sent again on every load of the frame.
  frame.addEventListener("load", function () {
    if (frame.contentWindow) {
      frame.contentWindow.postMessage({ source: "consent-widget-loader", type: "hello", version: 1 }, serverOrigin);
    }
  });

  window.addEventListener("message", function (event) {
    // Only our own frame, from the server's origin: other frames and the page itself are ignored.
    if (event.source !== frame.contentWindow || event.origin !== serverOrigin) return;
    var data = event.data;
    if (!data || typeof data !== "object" || data.source !== "consent-widget") return;
    if (data.type === "resize") {
      var height = Number(data.height);
      if (isFinite(height) && height > 0 && height < 20000) frame.style.height = Math.ceil(height) + "px";
    } else if (data.type === "ready") {
      if (typeof data.title === "string" && data.title) frame.title = data.title.slice(0, 200);
    } else if (data.type === "state") {
      announce({ state: data.state || {}, recording_allowed: data.recording_allowed === true });
    }
  });

  /** @param {{state: object, recording_allowed: boolean}} detail */
  function announce(detail) {
    var init = { detail: detail, bubbles: true };
    // Bubbles from the script to the document; a script a framework has removed from the page
    // cannot bubble, so the document hears it directly then.
    if (script.isConnected) {
      script.dispatchEvent(new CustomEvent("consent-widget:state", init));
    } else {
      document.dispatchEvent(new CustomEvent("consent-widget:state", init));
    }
  }

  // Fallback for snippets without data-call: the call id inside the token's signed (not encrypted)
  // payload. The server checks the two agree, so this is a convenience, never a trust decision.
  /** @param {string | null} value */
  function callFromToken(value) {
    try {
      var payload = String(value || "").split(".")[0];
      if (!payload) return null;
      var json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
      var call = JSON.parse(json).c;
      return typeof call === "string" ? call : null;
    } catch (e) {
      return null;
    }
  }

  var selector = script.getAttribute("data-target");
  var ready = selector ? document.querySelector(selector) : document.body;
  if (ready || document.readyState !== "loading") {
    insert();
  } else {
    document.addEventListener("DOMContentLoaded", insert);
  }
})();
