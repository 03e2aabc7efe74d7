// Kafscope widget: tells the framing page its height, when it is ready and when it fails
// ({source: "kafscope", type: "ready"|"resize"|"error", widget, height, error?}), only to an
// origin on the allowlist, and refreshes its content in place.
(function () {
  "use strict";
  var body = document.body;
  var widget = body.getAttribute("data-widget");
  var origins = (body.getAttribute("data-origins") || "").split(" ").filter(Boolean);
  var refresh = parseInt(body.getAttribute("data-refresh") || "0", 10);
  var expires = parseInt(body.getAttribute("data-expires") || "0", 10);
  // Errors that another try will not mend; anything else (the console restarting, a
  // cluster not read yet, the network) is retried and the last good content stays.
  var FINAL = ["expired", "bad_signature", "unauthorized", "forbidden", "bad_request"];

  function allowed(origin) {
    if (origin === location.origin) return true;
    return origins.some(function (o) {
      var star = o.indexOf("://*.");
      if (star < 0) return o === origin;
      var scheme = o.slice(0, star), suffix = o.slice(star + 4);
      return origin.indexOf(scheme + "://") === 0 && origin.slice(-suffix.length) === suffix &&
        origin.length > scheme.length + 3 + suffix.length;
    });
  }

  // Where events go: the framing page's origin (the browser's list, else the referrer) when
  // it is allowed; without either (a portal sending no referrer, a browser without
  // ancestorOrigins) every exact origin on the list — the browser delivers a message only to
  // the one the parent has, and frame-ancestors already admitted only those.
  function targets() {
    if (window.parent === window) return [];
    var list = location.ancestorOrigins, origin = null;
    if (list && list.length) origin = list[0];
    else { try { origin = new URL(document.referrer).origin; } catch (e) { origin = null; } }
    if (origin) return allowed(origin) ? [origin] : [];
    return origins.filter(function (o) { return o.indexOf("*") < 0; });
  }
  var to = targets();

  function height() { return Math.ceil(document.documentElement.getBoundingClientRect().height); }
  function post(type, extra) {
    var msg = { source: "kafscope", type: type, widget: widget, height: height() };
    for (var k in extra) msg[k] = extra[k];
    to.forEach(function (t) { window.parent.postMessage(msg, t); });
  }

  function errorOf(doc) {
    var code = doc.body.getAttribute("data-error");
    if (!code) return null;
    var p = doc.querySelector("section.error p");
    return { code: code, message: p ? p.textContent : code };
  }

  var lastHeight = -1;
  function sized() {
    var h = height();
    if (h !== lastHeight) { lastHeight = h; post("resize"); }
  }
  if (window.ResizeObserver) new ResizeObserver(sized).observe(document.documentElement);

  var failed = errorOf(document);
  if (failed) { post("error", { error: failed }); sized(); return; }
  post("ready");
  sized();

  function next() {
    var wait = refresh * 1000;
    // A signed link: ask once more right at its expiry, so the page hears of it at once.
    if (expires) wait = Math.max(0, Math.min(wait, expires * 1000 - Date.now() + 500));
    setTimeout(tick, wait);
  }
  function tick() {
    fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.text(); })
      .then(function (text) {
        var doc = new DOMParser().parseFromString(text, "text/html");
        var err = errorOf(doc);
        if (err && FINAL.indexOf(err.code) >= 0) {
          var main = doc.getElementById("w");
          if (main) document.getElementById("w").innerHTML = main.innerHTML;
          body.setAttribute("data-error", err.code);
          post("error", { error: err });
          return;
        }
        if (err) {
          body.setAttribute("data-stale", err.code);
          post("error", { error: err });
        } else {
          body.removeAttribute("data-stale");
          var fresh = doc.getElementById("w");
          if (fresh) document.getElementById("w").innerHTML = fresh.innerHTML;
        }
        next();
      })
      .catch(function () { body.setAttribute("data-stale", "network"); next(); });
  }
  if (refresh > 0) next();
})();
