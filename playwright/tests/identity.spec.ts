// Signing in through a real OpenID Connect provider (oidc/provider.mjs, started by
// start-stack.sh) to the second console of the stack, which requires it; what each role may
// see and do is decided by the server, and the UI says so in sentences.
import { expect, test, type Page } from "@playwright/test";
import { expectAccessible } from "./support";

const port = Number(process.env.KAFSCOPE_E2E_PORT ?? 18931) + 1;
const console2 = `http://127.0.0.1:${port}`;

async function signIn(page: Page, user: string) {
  await page.goto(`${console2}/clusters/e2e/topics`);
  await expect(page.getByTestId("sign-in")).toBeVisible();
  await page.getByTestId("sso-button").click();
  // The provider's own login page.
  await page.getByLabel("Username").fill(user);
  await page.getByLabel("Password").fill(`${user}-pw`);
  await page.getByRole("button", { name: "Sign in" }).click();
  // Back where the user started, signed in.
  await expect(page).toHaveURL(`${console2}/clusters/e2e/topics`);
  await expect(page.getByTestId("user-name")).toHaveText(user);
}

async function signOut(page: Page) {
  await page.getByTestId("sign-out").click();
  await expect(page.getByTestId("sign-in")).toBeVisible();
}

test("nobody reads anything before signing in, and the API says 401", async ({ page }) => {
  await page.goto(`${console2}/`);
  await expect(page.getByTestId("sign-in")).toBeVisible();
  await expect(page.getByTestId("sso-button")).toHaveText("Sign in with the test provider");
  const r = await page.request.get(`${console2}/api/v1/clusters`);
  expect(r.status()).toBe(401);
  await expectAccessible(page);
});

test("an admin signs in through the provider, sees who they are, and signs out", async ({ page }) => {
  await signIn(page, "alice");
  await expect(page.getByTestId("user-roles")).toHaveText("admin");
  await expect(page.getByTestId("nav-tokens")).toBeVisible();
  // The sign-in is on record with the identity the provider gave.
  await page.getByTestId("nav-audit").click();
  await expect(page.getByTestId("audit-table")).toContainText("auth.login");
  await expect(page.getByTestId("audit-table")).toContainText("alice");
  await expectAccessible(page);
  await signOut(page);
  const r = await page.request.get(`${console2}/api/v1/clusters`);
  expect(r.status()).toBe(401);
});

test("a viewer cannot open message contents or change anything, even by asking the server", async ({ page }) => {
  await signIn(page, "vic");
  await expect(page.getByTestId("user-roles")).toHaveText("viewer");
  await page.goto(`${console2}/clusters/e2e/topics/e2e-orders`);
  await expect(page.getByTestId("messages-hidden")).toContainText("messages.read");
  await expect(page.getByTestId("messages-link")).toHaveCount(0);
  // The page itself, opened by URL: the server's refusal, as a sentence.
  await page.goto(`${console2}/clusters/e2e/topics/e2e-orders/messages`);
  await expect(page.getByTestId("error")).toContainText("lacks the permission messages.read");
  await expect(page.getByTestId("produce-hidden")).toBeVisible();
  // Sent anyway, with the browser's own session: refused on the server.
  const read = await page.request.get(`${console2}/api/v1/clusters/e2e/topics/e2e-orders/messages?from=earliest`);
  expect(read.status()).toBe(403);
  const csrf = (await (await page.request.get(`${console2}/api/v1/me`)).json()).csrf_token;
  const change = await page.request.post(`${console2}/api/v1/alerts/silences`, {
    headers: { "X-CSRF-Token": csrf, Origin: console2 },
    data: { matchers: { cluster: "e2e" }, duration: "1h", comment: "x" },
  });
  expect(change.status()).toBe(403);
  expect(await change.text()).toContain("alerts.manage");
  // The alerts page shows the actions, disabled with the reason.
  await page.goto(`${console2}/alerts`);
  await expect(page.getByTestId("rule-form-hidden")).toContainText("alerts.manage");
  await signOut(page);
});

test("an admin creates an API token shown once; it works for scripts and is revoked", async ({ page }) => {
  await signIn(page, "alice");
  await page.getByTestId("nav-tokens").click();
  await page.getByTestId("token-name").fill("e2e-script");
  await page.getByTestId("token-role").selectOption("viewer");
  await page.getByTestId("token-create").click();
  const token = (await page.getByTestId("new-token-value").textContent())!.trim();
  expect(token).toMatch(/^ksc_/);
  const ok = await page.request.get(`${console2}/api/v1/clusters`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(ok.status()).toBe(200);
  await page.getByTestId("token-row-e2e-script").getByTestId("token-revoke").click();
  await expect(page.getByTestId("token-row-e2e-script")).toContainText("revoked");
  const gone = await page.request.get(`${console2}/api/v1/clusters`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(gone.status()).toBe(401);
  await signOut(page);
});
