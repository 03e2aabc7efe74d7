// The message browser against the real stack: records the seeding client wrote to
// e2e-orders (partition 1: {"n": 0..19}, keys e2e-orders-1-<n>) found, decoded, linked,
// searched with a streamed CEL filter, tailed live, and produced from the form.
import { expect, test } from "@playwright/test";
import { expectAccessible, produce } from "./support";

test("browse from the topic page, filter in the URL, detail pane and deep link", async ({ page }) => {
  await page.goto("/clusters/e2e/topics/e2e-orders");
  await page.getByTestId("messages-link").click();
  await expect(page).toHaveURL(/\/clusters\/e2e\/topics\/e2e-orders\/messages$/);
  // Newest first by default: some rows, each with an offset.
  await expect(page.getByTestId("message-row").first()).toBeVisible();
  await page.getByTestId("f-partition").fill("1");
  await page.getByTestId("f-from").fill("earliest");
  await page.getByTestId("f-order").selectOption("oldest");
  await page.getByTestId("f-value_contains").fill('"n":7,');
  await page.getByTestId("browse-button").click();
  await expect(page).toHaveURL(/partition=1.*value_contains=/);
  const rows = page.getByTestId("message-row");
  await expect(rows).toHaveCount(1);
  await expect(rows.first().getByTestId("message-offset")).toHaveText("7");
  await expect(page.getByTestId("scan-state")).toHaveText("reached the end");
  await rows.first().click();
  const detail = page.getByTestId("message-detail");
  await expect(detail).toContainText("Partition 1 · offset 7");
  await expect(page.getByTestId("detail-key-text")).toHaveText("e2e-orders-1-7");
  await expect(page.getByTestId("detail-value-encoding")).toHaveText("json");
  await expect(page.getByTestId("detail-value-json")).toContainText('"n": 7');
  await expectAccessible(page);
  // The record's own link opens it again, selected.
  const link = await page.getByTestId("message-link").getAttribute("href");
  expect(link).toContain("partition=1&from=7");
  await page.goto(link!);
  await expect(page.getByTestId("message-detail")).toContainText("Partition 1 · offset 7");
  // Paging: two at a time, oldest first, the next page continues.
  await page.goto("/clusters/e2e/topics/e2e-orders/messages?partition=1&from=earliest&order=oldest&limit=2");
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(1).getByTestId("message-offset")).toHaveText("1");
  await page.getByTestId("next-page").click();
  await expect(rows.first().getByTestId("message-offset")).toHaveText("2");
  // A bad filter says what is wrong.
  await page.goto("/clusters/e2e/topics/e2e-orders/messages?expr=value.n%20%3D%3D");
  await expect(page.getByTestId("error")).toContainText("expr is not valid CEL");
});

test("a streamed search shows its matches and progress; a live tail pauses and resumes", async ({ page }) => {
  await page.goto("/clusters/e2e/topics/e2e-orders/messages?from=earliest&order=oldest");
  await page.getByTestId("f-expr").fill("partition == 1 && value.n == 13");
  await page.getByTestId("search-button").click();
  await expect(page.getByTestId("scan-state")).toHaveText("reached the end");
  await expect(page.getByTestId("scan-matched")).toHaveText("matched 1");
  await expect(page.getByTestId("message-row")).toHaveCount(1);
  await expect(page.getByTestId("message-row").first().getByTestId("message-offset")).toHaveText("13");

  await page.getByTestId("f-expr").fill("");
  await page.getByTestId("tail-button").click();
  await expect(page.getByTestId("no-messages")).toHaveText("Waiting for new records…");
  // The tail starts at the end the server resolves: produce only once it reported it, or
  // the records land before the tail's start and are (rightly) not shown.
  await expect(page.getByTestId("scan-state")).toHaveText("tailing");
  produce("e2e-orders", 0, 2);
  await expect(page.getByTestId("message-row")).toHaveCount(2);
  await page.getByTestId("pause-button").click();
  produce("e2e-orders", 0, 1);
  await page.getByTestId("resume-button").click();
  // The record written while paused is not lost.
  await expect(page.getByTestId("message-row")).toHaveCount(3);
  await expectAccessible(page);
});

test("produce a message from the form and find it", async ({ page }) => {
  // A key of its own, so a retry does not find the first attempt's record too.
  const key = `from-the-ui-${Date.now()}`;
  await page.goto("/clusters/e2e/topics/e2e-orders/messages");
  await page.getByTestId("produce").locator("summary").click();
  await page.getByTestId("p-partition").fill("0");
  await page.getByTestId("p-key").fill(key);
  await page.getByTestId("p-encoding").selectOption("json");
  await page.getByTestId("p-value").fill('{"made": "by hand"}');
  await page.getByTestId("p-headers").fill("source=playwright");
  page.once("dialog", (d) => d.accept("e2e-admin-token"));
  await page.getByTestId("produce-button").click();
  await expect(page.getByTestId("produce-ok")).toContainText("Written to partition 0 at offset");
  await page.goto(`/clusters/e2e/topics/e2e-orders/messages?key_contains=${key}`);
  await expect(page.getByTestId("message-row")).toHaveCount(1);
  await page.getByTestId("message-row").first().click();
  await expect(page.getByTestId("detail-value-json")).toContainText('"made": "by hand"');
  await expect(page.getByTestId("detail-headers")).toContainText("source");
});
