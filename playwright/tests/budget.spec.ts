// The front end's size budget, as Chromium sees it: everything the first page downloads
// (compressed bodies on the wire), the WASM served precompressed with brotli under a hashed
// name that may be cached for a year, and the second visit served from the cache.
import { expect, test } from "@playwright/test";

const BUDGET = 500_000;

test("the first page downloads at most 500 KB compressed and is cached after", async ({ page }) => {
  const sizes: Promise<number>[] = [];
  const responses: { url: string; encoding?: string; cache?: string }[] = [];
  page.on("requestfinished", (r) => sizes.push(r.sizes().then((s) => s.responseBodySize)));
  page.on("response", (r) => {
    const h = r.headers();
    responses.push({ url: r.url(), encoding: h["content-encoding"], cache: h["cache-control"] });
  });
  await page.goto("/");
  await expect(page.getByTestId("cluster-row-e2e").getByTestId("cluster-status")).toHaveText("degraded");
  const first = (await Promise.all(sizes)).reduce((a, b) => a + b, 0);
  console.log(`first page: ${first} bytes compressed over ${sizes.length} requests`);
  expect(first).toBeGreaterThan(100_000); // the WASM was really fetched
  expect(first).toBeLessThanOrEqual(BUDGET);

  const wasm = responses.find((r) => r.url.endsWith(".wasm"));
  expect(wasm?.url).toMatch(/kafscope_frontend_bg\.[0-9a-f]{12}\.wasm$/);
  expect(wasm?.encoding).toBe("br");
  expect(wasm?.cache).toBe("public, max-age=31536000, immutable");
  // uPlot comes with the first chart, not with the first page.
  expect(responses.some((r) => r.url.includes("uPlot.iife"))).toBe(false);
  // index.html names the files of this build: it is always revalidated.
  expect(responses.find((r) => new URL(r.url).pathname === "/")?.cache).toBe("no-cache");

  // A second visit asks the server for the page and its data, not for the application:
  // every script, style sheet and the WASM come from the browser's cache, unrevalidated.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  const cached = new Set<string>();
  const network: string[] = [];
  cdp.on("Network.requestServedFromCache", (e) => cached.add(e.requestId));
  cdp.on("Network.responseReceived", (e) => {
    const static_ = /\.(wasm|js|css)$/.test(new URL(e.response.url).pathname);
    if (static_ && !e.response.fromDiskCache && !cached.has(e.requestId)) {
      network.push(`${e.response.status} ${e.response.url}`);
    }
  });
  await page.goto("/clusters/e2e/brokers");
  await expect(page.getByTestId("broker-row-111")).toBeVisible();
  expect(network).toEqual([]);
});

test("a chart fetches uPlot and draws it", async ({ page }) => {
  const loaded: string[] = [];
  page.on("response", (r) => {
    if (r.url().includes("uPlot.iife")) loaded.push(r.headers()["content-encoding"] ?? "");
  });
  await page.goto("/clusters/e2e/consumer-groups/e2e-readers");
  await expect(page.locator(".uplot").first()).toBeVisible();
  expect(loaded).toEqual(["br"]);
});
