// The KRaft metadata quorum, on a console watching the scripted KRaft cluster
// (server/examples/scripted_kraft.rs): quorum leader 2, voter 3 12 000 records and 40 s
// behind, while Metadata names broker 3 as the controller as KRaft brokers do.
import { expect, test } from "@playwright/test";
import { expectAccessible } from "./support";

const kraft = `http://127.0.0.1:${Number(process.env.KAFSCOPE_E2E_PORT ?? 18931) + 2}`;

test("health page shows the metadata quorum and names its leader as the controller", async ({ page }) => {
  await page.goto(`${kraft}/clusters/kraft/health`);
  await expect(page.getByTestId("quorum-summary")).toContainText("leader: node 2 · epoch 7");
  await expect(page.getByTestId("quorum-summary")).toContainText("2 of 3 voters caught up");
  await expect(page.getByTestId("verdict")).toContainText("active controller: node 2 (metadata quorum leader)");
  await expect(page.getByTestId("quorum-node-2").getByTestId("quorum-role")).toHaveText("leader");
  await expect(page.getByTestId("quorum-node-3").getByTestId("quorum-role")).toHaveText("follower");
  await expect(page.getByTestId("quorum-node-3").getByTestId("quorum-lag")).toHaveText("12,000");
  await expect(page.getByTestId("quorum-node-3")).toContainText("CONTROLLER://127.0.0.1:");
  await expect(page.getByTestId("problem-quorum_lag").getByTestId("problem-message")).toHaveText(
    "Controller 3 is 12,000 records / 40 s behind the quorum leader 2",
  );
  await expect(page.getByTestId("problem-quorum_at_risk").getByTestId("problem-message")).toHaveText(
    "Only 2 of 3 metadata quorum voters are caught up: one more failure loses the quorum",
  );
  await expectAccessible(page);
});

test("brokers page gives each node its roles and the active controller", async ({ page }) => {
  await page.goto(`${kraft}/clusters/kraft/brokers`);
  await expect(page.getByTestId("broker-row-2").getByTestId("broker-role")).toHaveText(
    "broker + controller · active controller",
  );
  // Metadata said 3; the quorum says otherwise.
  await expect(page.getByTestId("broker-row-3").getByTestId("broker-role")).toHaveText("broker + controller");
  await expectAccessible(page);
});
