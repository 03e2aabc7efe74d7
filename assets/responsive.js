// On narrow screens the stylesheet shows each table row as a stack of cells; this names each
// cell after its column (data-label), for every table the app draws, now and later.
(function () {
  function label(table) {
    const heads = Array.from(table.querySelectorAll("thead th")).map((th) => th.textContent.trim());
    if (!heads.length) return;
    for (const row of table.querySelectorAll("tbody tr")) {
      Array.from(row.children).forEach((td, i) => {
        const want = heads[i] || "";
        if (td.getAttribute("data-label") !== want) td.setAttribute("data-label", want);
      });
    }
  }
  function all() {
    document.querySelectorAll("table.grid").forEach(label);
  }
  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; all(); });
  }).observe(document.documentElement, { childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", all);
})();
