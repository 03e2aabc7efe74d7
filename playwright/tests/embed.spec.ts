// Embedding in a portal (issue 14): a page on another origin (http://portal.test, served by
// the test through request interception; the console is real) embeds widgets with signed
// links through embed.js. The widgets show the broker's real values, size their frames,
// report ready and error events, follow the theme asked for; a page from an origin not on
// server.frame_ancestors gets no frame; an edited link shows the error page.
import { expect, test, type Page } from "@playwright/test";
import { expectAccessible } from "./support";

// The portal pages are served by interception, so Chromium counts their origins as public
// and the console on 127.0.0.1 as local: its Local Network Access checks would stop every
// request before it reaches the console. A portal inside a company network is local too.
test.use({
  launchOptions: {
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights",
    ],
  },
});

const port = Number(process.env.KAFSCOPE_E2E_PORT ?? 18931);
const console_ = `http://127.0.0.1:${port}`;
const admin = { Authorization: "Bearer e2e-admin-token" };

async function link(request: any, body: object): Promise<string> {
  const r = await request.post(`${console_}/api/v1/embed-links`, { headers: admin, data: body });
  expect(r.status()).toBe(201);
  return console_ + (await r.json()).url;
}

/** Serve `html` as http://ORIGIN/host.html to this page. */
async function host(page: Page, origin: string, html: string) {
  await page.route(`${origin}/**`, (route) =>
    route.fulfill({ status: 200, contentType: "text/html", body: `<!doctype html><html><body>${html}</body></html>` }),
  );
  await page.goto(`${origin}/host.html`);
}

test("a portal embeds widgets with signed links: real values, sized frames, events, theme", async ({ page, request }) => {
  const group = await (await request.get(`${console_}/api/v1/clusters/e2e/consumer-groups/e2e-readers`, { headers: admin })).json();
  const lag = await link(request, { widget: "group-lag", cluster: "e2e", group: "e2e-readers", theme: "dark" });
  const topic = await link(request, { widget: "topic", cluster: "e2e", topic: "e2e-orders", theme: "light" });
  const health = await link(request, { widget: "health", cluster: "e2e", compact: true });
  const alerts = await link(request, { widget: "alerts", cluster: "e2e" });
  const verdict = (await (await request.get(`${console_}/api/v1/clusters/e2e/health`, { headers: admin })).json()).verdict;
  const firing = (await (await request.get(`${console_}/api/v1/alerts`, { headers: admin })).json()).items
    .filter((a: any) => a.cluster === "e2e" && a.state === "firing").map((a: any) => a.rule);
  const edited = lag.replace("group=e2e-readers", "group=e2e-writers");
  await host(
    page,
    "http://portal.test",
    `<h1>Team portal</h1>
     <div id="lag" data-kafscope-src="${lag}"></div>
     <div id="topic" data-kafscope-src="${topic}"></div>
     <div id="edited" data-kafscope-src="${edited}"></div>
     <div id="health" data-kafscope-src="${health}"></div>
     <div id="alerts" data-kafscope-src="${alerts}"></div>
     <script>
       window.events = [];
       for (const t of ["ready", "resize", "error"]) {
         document.addEventListener("kafscope:" + t, (e) => window.events.push({ id: e.target.id, type: t, detail: e.detail }));
       }
     </script>
     <script src="${console_}/embed/embed.js"></script>`,
  );

  // The group widget: the broker's values, not invented ones.
  const lagFrame = page.frameLocator("#lag iframe");
  await expect(lagFrame.locator("h1")).toHaveText("e2e-readers");
  await expect(lagFrame.locator('dd[data-k="lag"]')).toHaveText(group.lag.toLocaleString("en-US"));
  await expect(lagFrame.locator("svg.chart")).toBeVisible();
  // Dark, as asked: the widget's own background.
  const bg = await lagFrame.locator("body").evaluate((b) => getComputedStyle(b).backgroundColor);
  expect(bg).toBe("rgb(21, 26, 35)");

  const topicFrame = page.frameLocator("#topic iframe");
  await expect(topicFrame.locator("h1")).toHaveText("e2e-orders");
  await expect(topicFrame.locator("table")).toContainText("e2e-readers");
  const topicBg = await topicFrame.locator("body").evaluate((b) => getComputedStyle(b).backgroundColor);
  expect(topicBg).toBe("rgb(255, 255, 255)");

  // The health card: the cluster's verdict as the API gives it.
  const healthFrame = page.frameLocator("#health iframe");
  await expect(healthFrame.locator("header .badge")).toHaveText(verdict);
  await expect(healthFrame.locator("html")).toHaveClass("compact");
  // The alerts: the firing ones, by rule.
  const alertsFrame = page.frameLocator("#alerts iframe");
  await expect(alertsFrame.locator("h1")).toHaveText("e2e");
  for (const rule of firing) await expect(alertsFrame.locator("ul.problems")).toContainText(rule);

  // Each frame told the portal it is ready and how tall it is; embed.js sized it.
  await expect.poll(() => page.evaluate(() => (window as any).events.filter((e: any) => e.type === "ready").map((e: any) => e.id).sort())).toEqual(["alerts", "health", "lag", "topic"]);
  const reported = await page.evaluate(() => Math.max(...(window as any).events.filter((e: any) => e.id === "lag").map((e: any) => e.detail.height)));
  expect(reported).toBeGreaterThan(100);
  await expect.poll(async () => (await page.locator("#lag iframe").boundingBox())?.height).toBe(reported);

  // The edited link: the error page in the frame, and an error event for the portal.
  await expect(page.frameLocator("#edited iframe").locator("section.error")).toContainText("signature does not match");
  await expect.poll(() => page.evaluate(() => (window as any).events.find((e: any) => e.id === "edited" && e.type === "error")?.detail.error.code)).toBe("bad_signature");
});

test("a page from an origin not on the allowlist gets no frame", async ({ page, request }) => {
  const lag = await link(request, { widget: "group-lag", cluster: "e2e", group: "e2e-readers" });
  const blocked: string[] = [];
  page.on("console", (m) => {
    if (m.text().includes("frame-ancestors")) blocked.push(m.text());
  });
  await host(page, "http://evil.test", `<iframe id="w" src="${lag}" width="600" height="300"></iframe>`);
  await expect.poll(() => blocked.length).toBeGreaterThan(0);
  // Chromium shows its own "refused" page in the frame, never the widget.
  await expect(page.frameLocator("#w").locator("body")).not.toContainText("e2e-readers");
  await expect(page.frameLocator("#w").locator("main#w")).toHaveCount(0);
});

test("badges are SVG images with the state's colour", async ({ page, request }) => {
  const status = await link(request, { widget: "group-status.svg", cluster: "e2e", group: "e2e-readers" });
  const health = await link(request, { widget: "health.svg", cluster: "e2e" });
  await host(page, "http://portal.test", `<img id="s" src="${status}"><img id="h" src="${health}">`);
  for (const id of ["s", "h"]) {
    await expect.poll(() => page.locator(`#${id}`).evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth)).toBeGreaterThan(40);
  }
  const svg = await (await request.get(status)).text();
  expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
});

test("the console follows the system theme and can be switched; the choice is kept", async ({ browser }) => {
  const ctx = await browser.newContext({ colorScheme: "dark", baseURL: console_ });
  const page = await ctx.newPage();
  const bg = () => page.locator("body").evaluate((b) => getComputedStyle(b).backgroundColor);
  await page.goto("/clusters/e2e/consumer-groups");
  await expect(page.getByTestId("theme-switch")).toHaveText("Theme: auto");
  expect(await bg()).toBe("rgb(16, 20, 27)");
  await page.getByTestId("theme-switch").click();
  await expect(page.getByTestId("theme-switch")).toHaveText("Theme: light");
  expect(await bg()).toBe("rgb(246, 248, 251)");
  await page.getByTestId("theme-switch").click();
  await expect(page.getByTestId("theme-switch")).toHaveText("Theme: dark");
  await page.reload();
  await expect(page.getByTestId("theme-switch")).toHaveText("Theme: dark");
  expect(await bg()).toBe("rgb(16, 20, 27)");
  await expectAccessible(page);
  await ctx.close();
});
