// Every page of the console, checked against the values a real Kafka client wrote:
// e2e-orders has 10/20/30 records; group e2e-readers committed 5 and 20, nothing on p2.
import { expect, test } from "@playwright/test";
import { expectAccessible, produce } from "./support";

test("overview lists the cluster with live counts", async ({ page }) => {
  await page.goto("/");
  const row = page.getByTestId("cluster-row-e2e");
  // The broker's metrics endpoint reports under-replicated partitions: degraded, critical.
  await expect(row.getByTestId("cluster-status")).toHaveText("degraded");
  await expect(row.getByTestId("health-link")).toContainText("1 critical");
  await expect(row.getByTestId("urp")).toHaveText("0 (brokers: 2)");
  await expect(row.getByTestId("brokers-count")).toHaveText("1");
  await expect(row.getByTestId("groups-count")).toHaveText("1");
  await expect(row.getByTestId("topics-count")).not.toHaveText("0");
  // Which connections read groups: Kafscope's own batched ones, over plaintext here.
  await expect(row.getByTestId("connection")).toHaveText("plaintext");
  await expectAccessible(page);
});

test("brokers page shows the tansu broker", async ({ page }) => {
  await page.goto("/clusters/e2e/brokers");
  const row = page.getByTestId("broker-row-111");
  await expect(row.getByTestId("broker-status")).toHaveText("up");
  await expect(row).toContainText("127.0.0.1");
  await expectAccessible(page);
});

test("topics page filters, sorts and links to the topic", async ({ page }) => {
  await page.goto("/clusters/e2e/topics");
  const row = page.getByTestId("topic-row-e2e-orders");
  await expect(row.getByTestId("messages")).toHaveText("60");
  await page.getByTestId("search").fill("no-such-topic");
  await expect(page.getByTestId("empty")).toContainText("No topic matches 'no-such-topic'");
  await expect(page).toHaveURL(/q=no-such-topic/);
  await page.getByTestId("search").fill("e2e-ord");
  await expect(row).toBeVisible();
  await page.getByTestId("sort-messages").click();
  await expect(page).toHaveURL(/sort=messages/);
  await row.getByRole("link", { name: "e2e-orders" }).click();
  await expect(page).toHaveURL(/\/clusters\/e2e\/topics\/e2e-orders$/);
  await expect(page.getByTestId("topic-name")).toHaveText("e2e-orders");
  await expectAccessible(page);
});

test("topic page shows partitions, offsets and the groups reading it", async ({ page }) => {
  await page.goto("/clusters/e2e/topics/e2e-orders");
  for (const [p, hw] of [[0, "10"], [1, "20"], [2, "30"]] as const) {
    const row = page.getByTestId(`partition-row-${p}`);
    await expect(row.getByTestId("high-watermark")).toHaveText(hw);
    await expect(row.getByTestId("log-start")).toHaveText("0");
  }
  await expect(page.getByTestId("topic-group-e2e-readers").getByTestId("group-lag")).toHaveText("5");
});

test("consumer groups list and detail show committed offsets and lag", async ({ page }) => {
  await page.goto("/clusters/e2e/consumer-groups");
  const row = page.getByTestId("group-row-e2e-readers");
  await expect(row.getByTestId("group-lag")).toHaveText("5");
  // tansu lists its groups as classic-protocol groups (ListGroups v5).
  await expect(row.getByTestId("group-type")).toHaveText("classic");
  // The trend of recent polls is drawn (uPlot renders to a canvas).
  await expect(row.getByTestId("sparkline").locator("canvas")).toBeVisible();
  await row.getByRole("link", { name: "e2e-readers" }).click();
  await expect(page.getByTestId("group-total-lag")).toHaveText("5");
  await expect(page.getByTestId("group-type")).toHaveText("classic");
  const p0 = page.getByTestId("offset-row-e2e-orders-0");
  // Unread records, but tansu reports no retention.ms and its log start does not move:
  // no deadline is invented.
  await expect(p0.getByTestId("retention-margin")).toHaveText("not in sight");
  await expect(p0.getByTestId("committed")).toHaveText("5");
  await expect(p0.getByTestId("lag")).toHaveText("5");
  const p1 = page.getByTestId("offset-row-e2e-orders-1");
  await expect(p1.getByTestId("lag")).toHaveText("0");
  const p2 = page.getByTestId("offset-row-e2e-orders-2");
  await expect(p2.getByTestId("committed")).toHaveText("—");
  await expect(p2.getByTestId("lag")).toContainText("— (30 waiting)");
  await expect(p2.getByTestId("lag-status")).toHaveText("no_commit");
  await expectAccessible(page);
});

test("pages update live when records are produced", async ({ page }) => {
  await page.goto("/clusters/e2e/topics/e2e-orders");
  const hw = page.getByTestId("partition-row-2").getByTestId("high-watermark");
  await expect(hw).toHaveText(/^\d+$/);
  const before = Number(await hw.textContent());
  expect(before).toBeGreaterThanOrEqual(30);
  produce("e2e-orders", 2, 4);
  // No reload: the page refreshes on the server's snapshot event.
  await expect(hw).toHaveText(String(before + 4));
});

test("unknown things get a clear message, not a blank page", async ({ page }) => {
  await page.goto("/clusters/e2e/topics/does-not-exist");
  await expect(page.getByTestId("error")).toContainText("topic 'does-not-exist' does not exist in cluster 'e2e'");
  await page.goto("/clusters/nowhere/consumer-groups");
  await expect(page.getByTestId("error").first()).toContainText("cluster 'nowhere' is not configured");
  await page.goto("/no/such/page");
  await expect(page.getByTestId("not-found")).toBeVisible();
});

test("a group that stopped committing is called stopped, with the reason", async ({ page }) => {
  await page.goto("/clusters/e2e/consumer-groups/e2e-readers");
  // The stack judges status over a 5 s window; e2e-readers never commits again.
  await expect(page.getByTestId("group-status").getByTestId("lag-status")).toHaveText("stopped", { timeout: 30_000 });
  await expect(page.getByTestId("group-status-reason")).toContainText("has not moved");
  await expect(page.getByTestId("group-status-reason")).toContainText("messages wait");
  const p1 = page.getByTestId("offset-row-e2e-orders-1");
  await expect(p1.getByTestId("lag-status")).toHaveText("idle");
});

test("the lag chart draws history and splits by partition", async ({ page }) => {
  await page.goto("/clusters/e2e/consumer-groups/e2e-readers?range=15m");
  const chart = page.getByTestId("lag-chart");
  await expect(chart.locator("canvas")).toBeVisible();
  await expect(chart).toContainText("group total");
  await page.getByTestId("by-partition").click();
  await expect(page).toHaveURL(/by=partition/);
  await expect(chart).toContainText("e2e-orders[0]");
  await expect(chart).toContainText("e2e-orders[1]");
  // p2 was never committed: no lag to chart (the table still lists it, as no_commit).
  await expect(chart).not.toContainText("e2e-orders[2]");
  await page.getByTestId("unit-seconds").click();
  await expect(page).toHaveURL(/unit=seconds/);
  await expect(chart.locator("canvas")).toBeVisible();
  await expectAccessible(page);
});

test("health page says what is wrong in sentences, linked to the broker and its metrics", async ({ page }) => {
  await page.goto("/clusters/e2e/health");
  await expect(page.getByTestId("verdict-badge")).toHaveText("critical");
  await expect(page.getByTestId("nav-health-e2e")).toContainText("1 critical, 1 warning");
  const urp = page.getByTestId("problem-metrics_under_replicated");
  await expect(urp.getByTestId("problem-message")).toHaveText(
    "Broker 111 reports 2 under-replicated partitions it leads (UnderReplicatedPartitions)",
  );
  await expect(page.getByTestId("endpoint-row")).toContainText("prometheus");
  await expect(page.getByTestId("endpoint-row")).toContainText("ok");
  await expectAccessible(page);
  await urp.getByTestId("problem-broker").click();
  await expect(page).toHaveURL(/\/clusters\/e2e\/brokers\/111$/);
  await expect(page.getByTestId("metric-under_replicated_partitions").getByTestId("metric-value")).toHaveText("2");
  await expect(page.getByTestId("metric-request_handler_idle_ratio").getByTestId("metric-value")).toHaveText("75 %");
  // Not exported by this endpoint: said so, never shown as 0.
  await expect(page.getByTestId("metric-disk_free_bytes").getByTestId("metric-value")).toHaveText("unavailable");
  await expect(page.getByTestId("broker-disk")).toContainText("from broker metrics");
  await expect(page.getByTestId("chart-broker-urp").locator(".uplot")).toBeVisible();
  await expectAccessible(page);
});

test("a stopped group fires an alert that can be silenced in one click", async ({ page }) => {
  await page.goto("/alerts");
  const row = page.getByTestId("alert-consumer_stalled").filter({ hasText: "e2e-readers" });
  await expect(row.getByTestId("alert-state")).toHaveText("firing", { timeout: 30_000 });
  await expect(page.getByTestId("nav-alerts-count")).toContainText("firing");
  await expect(page.getByTestId("rule-consumer_stalled")).toBeVisible();
  await expect(page.getByTestId("receivers-table").or(page.getByTestId("empty").first())).toBeVisible();
  await expectAccessible(page);
  // The console asks for the admin token once, then silences the alert for an hour.
  page.once("dialog", (d) => d.accept("e2e-admin-token"));
  await row.getByTestId("silence-button").click();
  await expect(page.getByTestId("action-ok")).toHaveText("Silenced for 1 h.");
  await expect(page.getByTestId("silence-row").first()).toContainText("group=e2e-readers");
  await expect(row).toContainText("silenced (#");
  // A rule of one's own, from the form (the token is remembered for the tab).
  await page.getByTestId("rule-id").fill("e2e_lag");
  await page.getByTestId("rule-kind").selectOption("group_lag");
  await page.getByTestId("rule-threshold").fill("1");
  await page.getByTestId("rule-groups").fill("e2e-readers");
  await page.getByTestId("rule-save").click();
  await expect(page.getByTestId("action-ok")).toHaveText("Rule saved.");
  await expect(page.getByTestId("rule-e2e_lag")).toContainText("api");
  await expect(page.getByTestId("rule-e2e_lag")).toContainText("consumer group lag > 1 messages");
  // The link leads to the group.
  await row.getByRole("link").first().click();
  await expect(page).toHaveURL(/\/clusters\/e2e\/consumer-groups\/e2e-readers$/);
});
