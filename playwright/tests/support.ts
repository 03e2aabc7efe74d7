// Helpers shared by the specs: the broker's port (written by start-stack.sh), producing
// more records with the real Kafka client, and an accessibility check.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { expect, type Page } from "@playwright/test";

export function brokerPort(): string {
  return readFileSync(join(__dirname, "..", ".broker-port"), "utf8").trim();
}

export function produce(topic: string, partition: number, count: number) {
  const bin = process.env.KAFSCOPE_TRAFFIC_BIN ?? join(__dirname, "../../target/debug/kafscope-demo-traffic");
  execFileSync(bin, [
    "--mode", "produce", "--bootstrap-servers", `127.0.0.1:${brokerPort()}`,
    "--topic", topic, "--partition", String(partition), "--count", String(count),
  ]);
}

/** No serious or critical accessibility violations on the page as it is. */
export async function expectAccessible(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(bad.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
}
