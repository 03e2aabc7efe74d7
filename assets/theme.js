// The colour theme: "auto" (the system's setting), "light" or "dark", kept in this browser.
// Runs in <head> so a dark page never flashes light. The page carries the theme in effect
// (data-theme: light or dark; the stylesheet needs nothing else) and the choice
// (data-theme-choice). The switch in the top bar calls kafscopeTheme.cycle(); charts read
// their colours from the CSS variables when drawn.
(function () {
  "use strict";
  var KEY = "kafscope-theme";
  var ORDER = ["auto", "light", "dark"];
  var system = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  function stored() {
    try {
      var v = localStorage.getItem(KEY);
      return ORDER.indexOf(v) >= 0 ? v : "auto";
    } catch (e) {
      return "auto";
    }
  }
  function apply(choice) {
    var dark = choice === "dark" || (choice === "auto" && system && system.matches);
    var root = document.documentElement;
    root.setAttribute("data-theme", dark ? "dark" : "light");
    root.setAttribute("data-theme-choice", choice);
  }
  apply(stored());
  if (system && system.addEventListener) {
    system.addEventListener("change", function () { apply(stored()); });
  }
  window.kafscopeTheme = {
    current: stored,
    cycle: function () {
      var next = ORDER[(ORDER.indexOf(stored()) + 1) % ORDER.length];
      try { localStorage.setItem(KEY, next); } catch (e) { /* private mode: this page only */ }
      apply(next);
      window.dispatchEvent(new CustomEvent("kafscope:theme", { detail: next }));
      return next;
    },
  };
})();
