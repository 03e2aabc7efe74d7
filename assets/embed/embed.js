// Kafscope embed loader: turns
//   <div data-kafscope-widget="group-lag" data-cluster="prod" data-group="orders"></div>
// (or <div data-kafscope-src="SIGNED LINK"></div>) into an iframe sized to its content.
// Include it from the console: <script src="https://kafscope.example/embed/embed.js"></script>
(function () {
  "use strict";
  var me = document.currentScript;
  var base = me ? me.src.replace(/\/embed\/embed\.js(\?.*)?$/, "") : "";
  var consoleOrigin = base ? new URL(base).origin : location.origin;
  var PARAMS = ["cluster", "group", "topic", "range", "unit", "theme", "compact"];

  // Only this console's widget and badge pages are ever framed: a placeholder written by
  // someone else (a wiki page) cannot point the frame at a script or another site.
  function safe(src) {
    try {
      var u = new URL(src, base || location.href);
      var root = base ? new URL(base).pathname.replace(/\/$/, "") : "";
      if (u.origin !== consoleOrigin) return null;
      if (u.pathname.indexOf(root + "/embed/") !== 0 && u.pathname.indexOf(root + "/badge/") !== 0) return null;
      return u.href;
    } catch (e) {
      return null;
    }
  }

  function srcOf(el) {
    var signed = el.getAttribute("data-kafscope-src");
    if (signed) return safe(signed);
    var q = new URLSearchParams();
    PARAMS.forEach(function (p) {
      var v = el.getAttribute("data-" + p);
      if (v !== null) q.set(p, v);
    });
    return safe(base + "/embed/" + encodeURIComponent(el.getAttribute("data-kafscope-widget")) + "?" + q);
  }

  function mount(el) {
    if (el.getAttribute("data-kafscope-mounted")) return;
    el.setAttribute("data-kafscope-mounted", "1");
    var src = srcOf(el);
    if (!src) {
      el.dispatchEvent(new CustomEvent("kafscope:error", {
        detail: { source: "kafscope", type: "error", error: { code: "bad_request", message: "not a link to this console's widgets" } },
        bubbles: true,
      }));
      return;
    }
    var f = document.createElement("iframe");
    f.src = src;
    f.title = el.getAttribute("data-title") || "Kafscope " + (el.getAttribute("data-kafscope-widget") || "widget");
    f.loading = "lazy";
    f.style.width = "100%";
    f.style.border = "0";
    f.style.height = (el.getAttribute("data-height") || "180") + "px";
    el.appendChild(f);
    window.addEventListener("message", function (ev) {
      if (ev.source !== f.contentWindow || ev.origin !== consoleOrigin) return;
      var m = ev.data;
      if (!m || m.source !== "kafscope") return;
      if (typeof m.height === "number" && m.height > 0) f.style.height = m.height + "px";
      el.dispatchEvent(new CustomEvent("kafscope:" + m.type, { detail: m, bubbles: true }));
    });
  }

  function scan() {
    var els = document.querySelectorAll("[data-kafscope-widget],[data-kafscope-src]");
    for (var i = 0; i < els.length; i++) mount(els[i]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", scan);
  else scan();
  window.Kafscope = { scan: scan };
})();
