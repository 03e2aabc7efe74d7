// Management operations in the browser (issue 13), on the console watching the scripted
// KRaft cluster, which answers management requests as Kafka does (validate_only honoured,
// Kafka's error codes): create → edit → delete a topic, purge records, and plan → execute →
// revert an offset reset — each through its plan, each result linked to the audit log.
import { expect, test } from "@playwright/test";
import { expectAccessible } from "./support";

const kraft = `http://127.0.0.1:${Number(process.env.KAFSCOPE_E2E_PORT ?? 18931) + 2}`;

test("create a topic, edit its config and delete it, each through its plan", async ({ page, request }) => {
  const name = `ledger-${Date.now()}`;
  await page.goto(`${kraft}/clusters/kraft/topics`);
  await page.getByTestId("create-topic-open").click();
  // The name is checked as it is typed, with Kafka's rules.
  await page.getByTestId("create-topic-name").fill("bad name");
  await expect(page.getByTestId("create-topic-problem")).toContainText("not allowed in a topic name");
  await expect(page.getByTestId("create-topic-preview")).toBeDisabled();
  await page.getByTestId("create-topic-name").fill(name);
  await page.getByTestId("create-topic-partitions").fill("3");
  await page.getByTestId("create-topic-rf").fill("2");
  await page.getByTestId("create-topic-configs").fill("retention.ms=86400000");
  await page.getByTestId("create-topic-preview").click();
  const dialog = page.getByTestId("plan-dialog");
  // The broker's own verdict (validate_only) before anything exists.
  await expect(dialog.getByTestId("plan-verdict")).toContainText("3 partitions × 2 replicas");
  await expect(dialog.getByTestId("change-retention.ms").getByTestId("change-after")).toContainText("86400000 (1 day)");
  // The preview made nothing (the broker was only asked to check).
  expect((await request.get(`${kraft}/api/v1/clusters/kraft/topics/${name}`)).status()).toBe(404);
  await expectAccessible(page);
  await dialog.getByTestId("plan-execute").click();
  await expect(dialog.getByTestId("plan-result")).toContainText(`Created topic '${name}'.`);
  await expect(dialog.getByTestId("plan-audit")).toContainText("Audit entry #");
  await dialog.getByTestId("plan-close").click();
  // The snapshot followed the change at once.
  await page.getByRole("searchbox").fill(name);
  await expect(page.getByTestId(`topic-row-${name}`)).toBeVisible();

  // Edit a config: the diff in units, then the change.
  await page.goto(`${kraft}/clusters/kraft/topics/${name}`);
  await page.getByTestId("action-configs").click();
  await page.getByTestId("config-retention.ms").getByTestId("config-value").fill("604800000");
  await page.getByTestId("configs-preview").click();
  const change = dialog.getByTestId("change-retention.ms");
  await expect(change.getByTestId("change-before")).toContainText("86400000 (1 day)");
  await expect(change.getByTestId("change-after")).toContainText("604800000 (7 days)");
  await dialog.getByTestId("plan-execute").click();
  await expect(dialog.getByTestId("plan-result")).toContainText("Changed 1 config.");
  await dialog.getByTestId("plan-close").click();

  // Delete: only with the name typed.
  await page.getByTestId("action-delete").click();
  await expect(dialog.getByTestId("plan-summary")).toContainText(`Delete topic '${name}'`);
  await expect(dialog.getByTestId("plan-execute")).toBeDisabled();
  await dialog.getByTestId("plan-confirm").fill(name.slice(0, -1));
  await expect(dialog.getByTestId("plan-execute")).toBeDisabled();
  await dialog.getByTestId("plan-confirm").fill(name);
  await expectAccessible(page);
  await dialog.getByTestId("plan-execute").click();
  await expect(dialog.getByTestId("plan-result")).toContainText(`Deleted topic '${name}'.`);

  // Every step is in the audit log with the actor.
  await page.goto(`${kraft}/audit?cluster=kraft`);
  for (const action of ["topic.create", "topic.configs", "topic.delete"]) {
    const row = page.getByRole("row").filter({ hasText: name }).filter({ has: page.getByRole("cell", { name: action, exact: true }) });
    await expect(row.first()).toContainText("done");
  }
});

test("purge records before an offset, with their exact number first", async ({ page, request }) => {
  const topic = await (await request.get(`${kraft}/api/v1/clusters/kraft/topics/payments`)).json();
  const start: number = topic.partitions[0].log_start_offset;
  const before = start + 10;
  await page.goto(`${kraft}/clusters/kraft/topics/payments`);
  await page.getByTestId("action-purge").click();
  await page.getByTestId("purge-value").fill(String(before));
  await page.getByTestId("purge-partitions").fill("0");
  await page.getByTestId("purge-preview").click();
  const dialog = page.getByTestId("plan-dialog");
  await expect(dialog.getByTestId("plan-purge-total")).toHaveText("10 records are deleted.");
  const n = (x: number) => x.toLocaleString("en-US");
  await expect(dialog.getByTestId("purge-0")).toContainText(`${n(start)} → ${n(before)}`);
  await dialog.getByTestId("plan-confirm").fill("payments");
  await dialog.getByTestId("plan-execute").click();
  await expect(dialog.getByTestId("plan-result")).toContainText("Deleted 10 records from topic 'payments'.");
  await dialog.getByTestId("plan-close").click();
  await expect(page.getByTestId("partition-row-0").getByTestId("log-start")).toHaveText(n(before));
});

test("plan, execute and revert an offset reset of a stopped group", async ({ page }) => {
  await page.goto(`${kraft}/clusters/kraft/consumer-groups/payments-audit`);
  await page.getByTestId("action-reset").click();
  await page.getByTestId("reset-kind").selectOption("offset");
  await page.getByTestId("reset-value").fill("100");
  await page.getByTestId("reset-preview").click();
  const dialog = page.getByTestId("plan-dialog");
  // Per partition: where it is, where it goes, what it costs.
  const p0 = dialog.getByTestId("move-payments-0");
  await expect(p0.getByTestId("move-current")).toHaveText("500");
  await expect(p0.getByTestId("move-new")).toHaveText("100");
  await expect(dialog.getByTestId("plan-reset-total")).toHaveText("0 records skipped, 900 read again.");
  await expectAccessible(page);
  await dialog.getByTestId("plan-execute").click();
  await expect(dialog.getByTestId("plan-result")).toContainText("Moved group 'payments-audit' on 3 partitions.");
  // Revert is one action: the previous offsets, planned, then executed.
  await dialog.getByTestId("plan-revert").click();
  await expect(dialog.getByTestId("plan-title")).toContainText("group payments-audit");
  await expect(dialog.getByTestId("move-payments-0").getByTestId("move-new")).toHaveText("500");
  await dialog.getByTestId("plan-execute").click();
  await expect(dialog.getByTestId("plan-result")).toContainText("Moved group 'payments-audit' on 3 partitions.");
  await dialog.getByTestId("plan-close").click();
  await expect(page.getByTestId("group-plans")).toContainText("executed");
});
