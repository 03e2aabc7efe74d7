// Glue between the WASM app and uPlot (a maintained charting library, vendored from npm by
// scripts/build-web.sh). The app passes a JSON spec; this draws or redraws the chart in `el`.
// Spec: {unit: "messages"|"seconds"|"count"|"ratio"|"bytes"|"bytes_per_second"|"per_second", x: [unix seconds], series: [{label, values: [number|null]}]}
(function () {
  // uPlot is fetched with the first chart, not with the first page (the front end's size
  // budget); scripts/build-web.sh writes its hashed file name here.
  const UPLOT_SRC = "vendor/uPlot.iife.min.js";
  let loading = null;
  function withUPlot(draw) {
    if (window.uPlot) return draw();
    if (!loading) {
      loading = new Promise((resolve, reject) => {
        const s = document.createElement("script");
        s.src = UPLOT_SRC;
        s.onload = resolve;
        s.onerror = () => { loading = null; reject(new Error("uPlot did not load")); };
        document.head.appendChild(s);
      });
    }
    loading.then(draw, (e) => console.error(e));
  }

  const palette = ["#2457c5", "#c2410c", "#15803d", "#7c3aed", "#b91c1c", "#0e7490", "#a16207", "#be185d"];

  function fmtBytes(v) {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    if (i === 0) return Number.isInteger(v) ? `${v} B` : `${v.toFixed(1)} B`;
    return `${v.toFixed(1)} ${units[i]}`;
  }

  function fmtValue(unit, v) {
    if (v == null) return "—";
    if (unit === "bytes") return fmtBytes(v);
    if (unit === "bytes_per_second") return `${fmtBytes(v)}/s`;
    if (unit === "per_second") return `${v.toFixed(1)}/s`;
    if (unit === "ratio") return `${Math.round(v * 100)} %`;
    if (unit === "count" && !Number.isInteger(v)) return v.toFixed(1);
    if (unit === "seconds") {
      if (v < 90) return `${Math.round(v)} s`;
      if (v < 5400) return `${Math.round(v / 60)} min`;
      return `${(v / 3600).toFixed(1)} h`;
    }
    return Math.round(v).toLocaleString("en-US");
  }

  // Axis and grid colours of the current theme (style.css defines them).
  function themed() {
    const css = getComputedStyle(document.documentElement);
    const axis = css.getPropertyValue("--chart-axis").trim() || "#5b6475";
    const grid = css.getPropertyValue("--chart-grid").trim() || "rgba(0,0,0,.07)";
    return { stroke: axis, grid: { stroke: grid }, ticks: { stroke: grid } };
  }

  window.kafscopeChart = function (el, specJson) {
    const spec = JSON.parse(specJson);
    if (el._kafscopeChart) {
      el._kafscopeChart.destroy();
      el._kafscopeChart = null;
    }
    el.textContent = "";
    const data = [spec.x, ...spec.series.map((s) => s.values)];
    const opts = {
      width: Math.max(320, el.clientWidth || 800),
      height: 260,
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] } },
      axes: [themed(), Object.assign(themed(), { size: 70, values: (u, vals) => vals.map((v) => fmtValue(spec.unit, v)) })],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      series: [
        { label: "time", value: (u, v) => (v == null ? "—" : new Date(v * 1000).toISOString().replace("T", " ").slice(0, 19) + " UTC") },
        ...spec.series.map((s, i) => ({
          label: s.label,
          stroke: palette[i % palette.length],
          width: 2,
          spanGaps: false,
          points: { show: spec.x.length < 60 },
          value: (u, v) => fmtValue(spec.unit, v),
        })),
      ],
    };
    withUPlot(() => {
      if (el._kafscopeChart) el._kafscopeChart.destroy();
      el._kafscopeChart = new uPlot(opts, data, el);
    });
    return true;
  };
  // A sparkline: one series, no axes or legend; values oldest first.
  window.kafscopeSpark = function (el, valuesJson) {
    const values = JSON.parse(valuesJson);
    if (el._kafscopeChart) {
      el._kafscopeChart.destroy();
      el._kafscopeChart = null;
    }
    el.textContent = "";
    if (values.length < 2) return true;
    const xs = values.map((_, i) => i);
    const opts = {
      width: 120,
      height: 28,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: false }, y: { range: (u, min, max) => [0, Math.max(1, max)] } },
      axes: [{ show: false }, { show: false }],
      series: [{}, { stroke: palette[0], width: 1.5, fill: "rgba(36,87,197,0.12)", points: { show: false } }],
    };
    withUPlot(() => {
      if (el._kafscopeChart) el._kafscopeChart.destroy();
      el._kafscopeChart = new uPlot(opts, [xs, values], el);
    });
    return true;
  };
})();
