// Why a cluster cannot be read, and "Test connection": a cluster whose bootstrap name does
// not resolve (on the third console, beside the scripted KRaft cluster), and the live tansu
// cluster of the main console.
import { expect, test } from "@playwright/test";
import { expectAccessible } from "./support";

const e2ePort = Number(process.env.KAFSCOPE_E2E_PORT ?? 18931);
const third = `http://127.0.0.1:${e2ePort + 2}`;

test("an unreachable cluster says which step fails and which setting to check", async ({ page }) => {
  await page.goto(`${third}/clusters/nowhere/health`);
  const banner = page.getByTestId("unreachable-banner");
  await expect(banner.getByTestId("diagnosis-verdict")).toContainText(
    "the host name 'kafscope-nowhere.invalid' does not resolve",
  );
  await expect(banner.getByTestId("diagnosis-setting")).toHaveText("bootstrap.servers");
  await expect(banner.getByTestId("diagnosis")).toHaveAttribute("data-cause", "dns_not_found");
  // librdkafka's own words stay one click away, not in the headline.
  await expect(banner.getByTestId("diagnosis-verdict")).not.toContainText("BrokerTransportFailure");
  // Run now: the same verdict.
  await page.getByTestId("test-connection").click();
  const result = page.getByTestId("test-connection-result");
  await expect(result.getByTestId("diagnosis")).toHaveAttribute("data-cause", "dns_not_found");
  await expect(result.getByTestId("target-outcome")).toContainText("failed at resolve");
  await expectAccessible(page);
});

test("test connection on a live cluster passes every step", async ({ page }) => {
  await page.goto(`http://127.0.0.1:${e2ePort}/clusters/e2e/brokers`);
  await page.getByTestId("test-connection").click();
  const result = page.getByTestId("test-connection-result");
  await expect(result.getByTestId("diagnosis-verdict")).toHaveText(
    "every step passed: 1 bootstrap server and 1 broker reached over plaintext",
  );
  await expect(result).toHaveClass(/ok/);
});
