// Widget weight and first paint, as a portal sees them: a page on another origin
// (http://portal.test, served by interception) frames a widget with a signed link, in
// Debian's Chromium; the frame's first contentful paint is read from its own Performance
// timeline (from the frame's navigation start), RUNS times per widget. The weight is what
// the browser downloads for the widget (compressed), against the full app's first page.
// Usage: node bench/widgets.mjs CONSOLE_URL ADMIN_TOKEN [RUNS]
import { chromium } from "@playwright/test";

const [console_, token, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 30);
const admin = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };

async function link(body) {
  const r = await fetch(`${console_}/api/v1/embed-links`, { method: "POST", headers: admin, body: JSON.stringify(body) });
  if (r.status !== 201) throw new Error(`embed link: ${r.status} ${await r.text()}`);
  return console_ + (await r.json()).url;
}

const pct = (xs, p) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length - 1) * p))];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights"],
});

/** Bytes on the wire (compressed bodies and their headers) for everything a page loads. */
async function weight(url, frame) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  let bytes = 0;
  const pending = [];
  // Every frame's requests, out-of-process frames included; body as sent (compressed).
  page.on("requestfinished", (r) => pending.push(r.sizes().then((s) => { bytes += s.responseBodySize + s.responseHeadersSize; })));
  if (frame) {
    await page.route("http://portal.test/**", (r) => r.fulfill({ contentType: "text/html", body: "<!doctype html><p>portal</p>" }));
    await page.goto("http://portal.test/");
    await Promise.all(pending);
    bytes = 0;
    await page.evaluate((src) => new Promise((done) => {
      const f = document.createElement("iframe");
      f.onload = () => setTimeout(done, 300);
      f.src = src;
      document.body.appendChild(f);
    }), url);
  } else {
    await page.goto(url, { waitUntil: "networkidle" });
  }
  await Promise.all(pending);
  await ctx.close();
  return bytes;
}

async function firstPaint(url) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.route("http://portal.test/**", (r) => r.fulfill({ contentType: "text/html", body: "<!doctype html><p>portal</p>" }));
  await page.goto("http://portal.test/");
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = await page.evaluate((src) => new Promise((done) => {
      const f = document.createElement("iframe");
      f.src = src;
      const start = performance.now();
      window.addEventListener("message", function on(ev) {
        if (ev.source !== f.contentWindow || !ev.data || ev.data.source !== "kafscope") return;
        if (ev.data.type !== "ready" && ev.data.type !== "error") return;
        window.removeEventListener("message", on);
        const parentMs = performance.now() - start;
        f.remove();
        done(parentMs);
      });
      document.body.appendChild(f);
    }), url);
    times.push(t);
  }
  // The frame's own first contentful paint, read inside it (its timeline starts at its
  // navigation).
  await page.evaluate((src) => { const f = document.createElement("iframe"); f.src = src; document.body.appendChild(f); }, url);
  let probe;
  for (let i = 0; i < 100 && !probe; i++) {
    probe = page.frames().find((f) => f.url().startsWith(console_));
    if (!probe) await page.waitForTimeout(50);
  }
  await probe.waitForLoadState("load");
  await page.waitForTimeout(200);
  const frameFcp = await probe.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null);
  await ctx.close();
  return { times, frameFcp };
}

const widgets = {
  health: await link({ widget: "health", cluster: "demo" }),
  "group-lag": await link({ widget: "group-lag", cluster: "demo", group: "orders-processor", range: "1h" }),
  topic: await link({ widget: "topic", cluster: "demo", topic: "orders" }),
  alerts: await link({ widget: "alerts", cluster: "demo" }),
};
const app = await weight(`${console_}/clusters/demo/consumer-groups/orders-processor`, false);
console.log(`full app, first page (compressed): ${(app / 1024).toFixed(0)} KiB`);
console.log("widget        weight   ready in parent p50 / p95 (ms)   frame first paint (ms)");
for (const [name, url] of Object.entries(widgets)) {
  const w = await weight(url, true);
  const { times, frameFcp } = await firstPaint(url);
  console.log(`${name.padEnd(12)} ${(w / 1024).toFixed(1).padStart(5)} KiB   ${pct(times, 0.5).toFixed(0).padStart(5)} / ${pct(times, 0.95).toFixed(0).padStart(4)}                 ${frameFcp == null ? "—" : frameFcp.toFixed(0)}`);
}
await browser.close();
