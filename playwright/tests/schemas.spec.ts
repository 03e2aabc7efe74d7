// The Schema Registry browser, on the console watching the scripted KRaft cluster (topic
// `payments`), whose registry replays a real Karapace's recorded answers
// (server/examples/registry_replay.rs, fixture karapace-ui): register, compatibility, test,
// compare versions side by side, soft and permanent deletes, the topic page's link.
import { expect, test } from "@playwright/test";
import { expectAccessible } from "./support";

const kraft = `http://127.0.0.1:${Number(process.env.KAFSCOPE_E2E_PORT ?? 18931) + 2}`;

const fields = [
  { name: "id", type: "long" },
  { name: "amount", type: { type: "bytes", logicalType: "decimal", precision: 10, scale: 2 } },
];
const schema = (extra: object[]) =>
  JSON.stringify({ type: "record", name: "Payment", namespace: "pay", fields: [...fields, ...extra] });

/** The replayed registry's address, from the console (a retried spec starts it over). */
async function registry(request: import("@playwright/test").APIRequestContext): Promise<string> {
  const c = await (await request.get(`${kraft}/api/v1/clusters/kraft`)).json();
  return c.schema_registry;
}

test("register, test compatibility, compare and delete schema versions", async ({ page, request }) => {
  const reg = await registry(request);
  expect((await request.post(`${reg}/__replay/reset`)).ok()).toBeTruthy();
  await page.goto(`${kraft}/clusters/kraft/schemas`);
  await expect(page.getByRole("link", { name: "Schemas", exact: true })).toHaveAttribute("aria-current", "page");
  await expect(page.getByTestId("global-compatibility")).toHaveText("BACKWARD");
  await page.getByTestId("new-subject").fill("payments-value");
  await page.getByTestId("schema-text").fill(schema([]));
  await page.getByTestId("schema-register").click();
  await expect(page.getByTestId("schema-status")).toContainText("Registered payments-value as schema id 1, version 1");
  const row = page.getByTestId("subject-row-payments-value");
  await expect(row).toContainText("topic name");
  await expect(row.getByTestId("subject-topic")).toHaveText("payments");
  await expectAccessible(page);

  await row.getByRole("link", { name: "payments-value" }).click();
  await expect(page.getByTestId("subject-name")).toHaveText("payments-value");
  await expect(page.getByTestId("version-row-1")).toBeVisible();
  await expect(page.getByTestId("schema-view")).toContainText('"amount"');
  await page.getByTestId("subject-compat-select").selectOption("FULL");
  await page.getByTestId("subject-compat-set").click();
  await expect(page.getByTestId("schema-status")).toContainText("global → FULL");
  await expect(page.getByTestId("subject-compatibility")).toHaveText("FULL");

  // A new required field breaks FULL: said before registering, refused when registered.
  await page.getByTestId("schema-text").fill(schema([{ name: "currency", type: "string" }]));
  await page.getByTestId("schema-test").click();
  await expect(page.getByTestId("compat-verdict")).toContainText("Not compatible under FULL");
  await page.getByTestId("schema-register").click();
  await expect(page.getByTestId("schema-error")).toContainText("not compatible");
  await page.getByTestId("schema-text").fill(schema([{ name: "currency", type: "string", default: "EUR" }]));
  await page.getByTestId("schema-test").click();
  await expect(page.getByTestId("compat-verdict")).toContainText("Compatible under FULL");
  await page.getByTestId("schema-register").click();
  await expect(page.getByTestId("schema-status")).toContainText("version 2");
  await expect(page.getByTestId("version-row-2")).toBeVisible();
  await expect(page.getByTestId("diff-title")).toHaveText("Version 1 → version 2");
  await expect(page.getByTestId("schema-diff").getByTestId("diff-added").filter({ hasText: "currency" })).toHaveCount(1);
  await expectAccessible(page);

  // Delete version 1: the preview names it; soft first, then permanently with the name typed.
  await page.getByTestId("delete-target").selectOption("1");
  await page.getByTestId("delete-preview").click();
  await expect(page.getByTestId("delete-versions")).toHaveText("v1 (id 1)");
  // Not soft-deleted yet: a permanent delete cannot be asked for, whatever is typed.
  await page.getByTestId("delete-confirm").fill("payments-value");
  await expect(page.getByTestId("delete-permanent")).toBeDisabled();
  await expectAccessible(page);
  await page.getByTestId("delete-soft").click();
  await expect(page.getByTestId("schema-status")).toContainText("Soft-deleted v1 of payments-value");
  await expect(page.getByTestId("version-row-1")).toContainText("soft-deleted");
  await page.getByTestId("delete-target").selectOption("1");
  await page.getByTestId("delete-preview").click();
  await expect(page.getByTestId("delete-soft")).toHaveCount(0);
  await expect(page.getByTestId("delete-confirm")).toHaveValue("");
  await expect(page.getByTestId("delete-permanent")).toBeDisabled();
  await page.getByTestId("delete-confirm").fill("payments-value");
  await page.getByTestId("delete-permanent").click();
  await expect(page.getByTestId("schema-status")).toContainText("Permanently deleted v1 of payments-value");
  await expect(page.getByTestId("version-row-1")).toHaveCount(0);
  await expect(page.getByTestId("version-row-2")).toBeVisible();

  // The topic page links its subjects.
  await page.goto(`${kraft}/clusters/kraft/topics/payments`);
  await expect(page.getByTestId("topic-subject")).toHaveText("payments-value");
  // Every change the real registry was asked for when this was recorded was made again.
  expect(await (await request.get(`${reg}/__replay/unused`)).json()).toEqual([]);
});
