import type { BrowserContextOptions, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { apiClient, uniqueEmail } from "../support/api";
import { expectNoSeriousViolations, saveScreenshot, signUp, VIEWPORTS } from "./support/browser";
import { useBrowserSession } from "./support/session";

const session = useBrowserSession({ label: "tokens" });
let page: Page;

async function onSettings(label: string, options: BrowserContextOptions = {}) {
  page = await session.open(options);
  await session.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: session.stack.apiUrl });
  await signUp(page, uniqueEmail(label));
  await page.getByRole("link", { name: "Settings" }).click();
  await page.getByTestId("access-tokens").waitFor();
}

const shot = (name: string) => saveScreenshot(page, name);

/** Whether the API takes this token (`GET /me` accepts access tokens). */
async function tokenWorks(token: string): Promise<number> {
  return (await apiClient(session.stack.apiUrl).route("GET /api/personal/me", { token })).status;
}

describe("access tokens for other AIs", () => {
  it("creates a token shown once with its MCP configuration, copies it, lists it, and revokes it", async () => {
    await onSettings("tokens");
    const tokens = page.getByTestId("access-tokens");
    await tokens.getByText("No tokens yet.").waitFor();

    await page.getByLabel("Name of the new token").fill("Claude Desktop");
    await page.getByRole("button", { name: "Create token" }).click();

    const shown = await page.getByTestId("new-token-value").textContent();
    expect(shown).toMatch(/^\S{20,}$/);
    // The list is loaded again once the token is shown: read its row before anything uses the token.
    const row = page.getByTestId("token-list").getByRole("listitem").filter({ hasText: "Claude Desktop" });
    await row.waitFor();
    expect(await row.textContent()).toContain("never used");
    expect(await row.textContent(), "the list never holds the secret").not.toContain(shown);
    expect(await tokenWorks(shown!), "the token shown is the one the API takes").toBe(200);
    const snippet = JSON.parse((await tokens.locator("pre.snippet").textContent())!);
    expect(snippet).toEqual({ mcpServers: { "cogzy-vault": { type: "http", url: `${session.stack.apiUrl}/mcp`, headers: { Authorization: `Bearer ${shown}` } } } });
    await page.getByRole("button", { name: "Copy token" }).click();
    await page.getByRole("button", { name: "Copied" }).waitFor();
    expect(await page.evaluate("navigator.clipboard.readText()")).toBe(shown);
    await expectNoSeriousViolations(page, "settings with a new token");
    await shot("tokens-desktop-light");

    // Shown once: after a reload the list names it, the secret is gone.
    await page.reload();
    await page.getByTestId("token-list").waitFor();
    expect(await page.getByTestId("new-token").count()).toBe(0);
    expect(await page.content()).not.toContain(shown);
    expect(await row.textContent(), "the API's use of the token above").toContain("last used just now");

    await page.getByRole("button", { name: "Revoke Claude Desktop" }).click();
    await page.getByRole("button", { name: "Revoke", exact: true }).click();
    await tokens.getByText("No tokens yet.").waitFor();
    expect(await tokenWorks(shown!), "a revoked token stops working at once").toBe(401);
  });

  it("offers nothing to create for a name of only spaces", async () => {
    await onSettings("tokens-empty");

    await page.getByLabel("Name of the new token").fill("   ");

    expect(await page.getByRole("button", { name: "Create token" }).isDisabled(), "nothing to send").toBe(true);
  });

  it("fits a 390 px phone in dark mode, without serious accessibility violations", async () => {
    await onSettings("tokens-phone", { viewport: VIEWPORTS.narrow, colorScheme: "dark", isMobile: true, hasTouch: true });
    await page.getByLabel("Name of the new token").fill("My phone's agent");
    await page.getByRole("button", { name: "Create token" }).click();
    await page.getByTestId("new-token-value").waitFor();
    // The list is loaded again after the token is shown: measure and scan the page once it names the token.
    await page.getByTestId("token-list").getByRole("listitem").filter({ hasText: "My phone's agent" }).waitFor();

    expect(await page.evaluate(`document.documentElement.scrollWidth <= ${VIEWPORTS.narrow.width}`), "nothing wider than the phone").toBe(true);
    await expectNoSeriousViolations(page, "tokens (390 px, dark)");
    await shot("tokens-narrow-dark");
  });
});
