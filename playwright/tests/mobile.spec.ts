// On a phone (390 × 844, where an on-call engineer opens a link from a page): every page fits
// without sideways scrolling, tables become stacked rows with their column names, and the
// alert list, a group's status and its lag chart come first. Screenshots for the README.
import { expect, test, type Page } from "@playwright/test";
import { join } from "node:path";

test.use({ viewport: { width: 390, height: 844 } });

const pages: [string, string][] = [
  ["/", "clusters-table"],
  ["/alerts", "history-table"],
  ["/clusters/e2e/health", "verdict"],
  ["/clusters/e2e/brokers", "brokers-table"],
  ["/clusters/e2e/brokers/111", "broker-metrics"],
  ["/clusters/e2e/topics", "topics-table"],
  ["/clusters/e2e/topics/e2e-orders", "partitions-table"],
  ["/clusters/e2e/topics/e2e-orders/messages?from=earliest", "message-form"],
  ["/clusters/e2e/consumer-groups", "groups-table"],
  ["/clusters/e2e/consumer-groups/e2e-readers", "offsets-table"],
  ["/audit", "audit-filters"],
  ["/tokens", "token-form"],
];

async function overflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

for (const [path, ready] of pages) {
  test(`${path} fits a phone`, async ({ page }) => {
    await page.goto(path);
    await expect(page.getByTestId(ready).first()).toBeVisible();
    // Let late content (charts, live data) settle into its place before measuring.
    await page.waitForLoadState("networkidle");
    expect(await overflow(page), `${path} scrolls sideways`).toBeLessThanOrEqual(0);
  });
}

test("stacked rows keep their column names; phone screenshots", async ({ page }) => {
  await page.goto("/clusters/e2e/consumer-groups/e2e-readers");
  const row = page.getByTestId("offset-row-e2e-orders-0");
  await expect(row.getByTestId("lag")).toHaveAttribute("data-label", "Lag");
  await expect(page.getByTestId("group-status")).toBeVisible();
  const shots = join(__dirname, "..", "..", "docs", "screenshots");
  await page.screenshot({ path: join(shots, "mobile-group.png"), fullPage: false });
  await page.goto("/alerts");
  await expect(page.getByTestId("history-table")).toBeVisible();
  await page.screenshot({ path: join(shots, "mobile-alerts.png"), fullPage: false });
});
