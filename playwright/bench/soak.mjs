// Soak: CLIENTS live SSE connections (/api/v1/events), RPS API requests per second over the
// read endpoints and message pages, and one message tail, for SECONDS, against a console
// whose process id is PID. Every 10 s it samples the process's RSS, open file descriptors
// and threads from /proc; every minute it prints p50/p99 per endpoint. The report ends with
// RSS growth after warm-up (the first minute), errors, and whether p99 stayed flat.
// Usage: node bench/soak.mjs CONSOLE_URL TOKEN PID [SECONDS] [CLIENTS] [RPS]
import { readFileSync, readdirSync } from "node:fs";

const [base, token, pid, secondsArg, clientsArg, rpsArg] = process.argv.slice(2);
const seconds = Number(secondsArg ?? 600);
const clients = Number(clientsArg ?? 200);
const rps = Number(rpsArg ?? 100);
const auth = { Authorization: `Bearer ${token}` };
const endpoints = {
  clusters: "/api/v1/clusters",
  cluster: "/api/v1/clusters/demo",
  health: "/api/v1/clusters/demo/health",
  brokers: "/api/v1/clusters/demo/brokers",
  topics: "/api/v1/clusters/demo/topics?limit=50",
  topic: "/api/v1/clusters/demo/topics/orders",
  groups: "/api/v1/clusters/demo/consumer-groups?limit=50",
  group: "/api/v1/clusters/demo/consumer-groups/orders-processor",
  history: "/api/v1/clusters/demo/consumer-groups/orders-processor/history?range=1h",
  alerts: "/api/v1/alerts",
  messages: "/api/v1/clusters/demo/topics/orders/messages?limit=50",
};
const names = Object.keys(endpoints);

function proc() {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k) => Number(status.match(new RegExp(`${k}:\\s+(\\d+)`))?.[1] ?? 0);
  return {
    rssMiB: kb("VmRSS") / 1024,
    fds: readdirSync(`/proc/${pid}/fd`).length,
    threads: kb("Threads"),
  };
}

const pct = (xs, p) => {
  if (!xs.length) return NaN;
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length - 1) * p))];
};

let errors = 0;
const errorKinds = new Map();
const fail = (what) => { errors++; errorKinds.set(what, (errorKinds.get(what) ?? 0) + 1); };

// Server-sent events: each client reads its stream until the end of the run. Resolves to
// true when the stream ended with a `done` event (a bounded stream reaching its bound).
const stop = new AbortController();
let sseEvents = 0;
let sseOpen = 0;
async function sse(path, onEvent) {
  try {
    const r = await fetch(base + path, { headers: { ...auth, Accept: "text/event-stream" }, signal: stop.signal });
    if (r.status !== 200) { fail(`sse ${r.status}`); return; }
    sseOpen++;
    const reader = r.body.getReader();
    const dec = new TextDecoder();
    let buf = "";
    let finished = false;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let i;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const ev = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (ev.startsWith("event: done")) finished = true;
        if (ev.includes("data:")) onEvent(ev);
      }
    }
    sseOpen--;
    if (!stop.signal.aborted && !finished) fail(`sse ended early ${path}`);
    return finished;
  } catch (e) {
    if (!stop.signal.aborted) fail(`sse ${path.split("?")[0]}: ${e.message}${e.cause ? ` (${e.cause.code ?? e.cause.message})` : ""}`);
  }
  return false;
}
for (let i = 0; i < clients; i++) sse("/api/v1/events", () => sseEvents++);
// The tail: a tail ends at its own time bound (`timeout_ms`, 10 min by default) with a
// `done` event; it is opened again, as the UI does.
let tailed = 0;
let tails = 0;
const tailTimeout = Number(process.env.SOAK_TAIL_TIMEOUT_MS ?? 600_000);
(async () => {
  while (!stop.signal.aborted) {
    tails++;
    const path = `/api/v1/clusters/demo/topics/orders/messages/stream?follow=true&timeout_ms=${tailTimeout}`;
    const ended = await sse(path, (ev) => {
      if (ev.startsWith("event: message")) tailed++;
    });
    if (!ended) break;
  }
})();

// The request load: RPS a second, round robin over the endpoints, never waiting for each
// other (a slow answer does not slow the load down).
const minutes = []; // per minute: {name: [ms...]}
let minute = {};
let sent = 0;
async function one(name) {
  const t = performance.now();
  try {
    const r = await fetch(base + endpoints[name], { headers: auth });
    await r.arrayBuffer();
    if (r.status !== 200) fail(`${name} ${r.status}`);
  } catch (e) {
    fail(`${name} ${e.name}`);
  }
  (minute[name] ??= []).push(performance.now() - t);
}
const started = Date.now();
const samples = [];
const tick = setInterval(() => {
  for (let i = 0; i < rps / 10; i++) one(names[sent++ % names.length]);
}, 100);
const sampler = setInterval(() => samples.push({ t: (Date.now() - started) / 1000, ...proc() }), 10_000);
samples.push({ t: 0, ...proc() });
const header = "minute  " + names.map((n) => n.padStart(16)).join("");
console.log(`soak: ${clients} SSE clients, ${rps} requests/s, one tail, ${seconds} s; p50/p99 ms per endpoint`);
console.log(header);
const report = () => {
  minutes.push(minute);
  const row = names.map((n) => `${pct(minute[n] ?? [], 0.5).toFixed(1)}/${pct(minute[n] ?? [], 0.99).toFixed(1)}`.padStart(16)).join("");
  const s = proc();
  console.log(`${String(minutes.length).padStart(6)}  ${row}   rss ${s.rssMiB.toFixed(1)} MiB, fds ${s.fds}, threads ${s.threads}, sse open ${sseOpen}`);
  minute = {};
};
const perMinute = setInterval(report, 60_000);
await new Promise((r) => setTimeout(r, seconds * 1000));
clearInterval(tick);
clearInterval(sampler);
clearInterval(perMinute);
await new Promise((r) => setTimeout(r, 2000)); // answers in flight
if (Object.keys(minute).length) report();
samples.push({ t: (Date.now() - started) / 1000, ...proc() });
stop.abort();

const warm = samples.find((s) => s.t >= 60) ?? samples[0];
const end = samples[samples.length - 1];
const growth = ((end.rssMiB - warm.rssMiB) / warm.rssMiB) * 100;
const p99s = minutes.map((m) => pct(Object.values(m).flat(), 0.99));
console.log("");
console.log(`requests: ${sent}, SSE snapshot events received: ${sseEvents}, tailed records: ${tailed} (${tails} tail${tails === 1 ? "" : "s"}: one ends at its time bound and is opened again)`);
console.log(`RSS: ${samples[0].rssMiB.toFixed(1)} MiB at start, ${warm.rssMiB.toFixed(1)} MiB after warm-up, ${end.rssMiB.toFixed(1)} MiB at end (${growth >= 0 ? "+" : ""}${growth.toFixed(1)} % after warm-up)`);
console.log(`file descriptors: ${warm.fds} after warm-up, ${end.fds} at end; threads: ${warm.threads} → ${end.threads}`);
console.log(`p99 over all endpoints per minute (ms): ${p99s.map((p) => p.toFixed(1)).join(", ")}`);
console.log(`errors: ${errors}${errors ? " " + JSON.stringify(Object.fromEntries(errorKinds)) : ""}`);
process.exit(errors === 0 && growth < 10 ? 0 : 1);
