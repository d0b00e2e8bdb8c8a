import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { apiClient, uniqueEmail } from "../support/api";
import { chatgptExport, conversations } from "../support/exports";
import { uploadBytes, waitForUpload } from "../support/ingest";
import { expectNoSeriousViolations, signUp, submitAccountForm } from "./support/browser";
import { useBrowserSession } from "./support/session";

const session = useBrowserSession({ label: "account" });
let page: Page;

async function open() {
  page = await session.open();
}

const text = (testId: string) => () => page.getByTestId(testId).textContent();

describe("signing up", () => {
  it("shows the signed-in screen with the e-mail, the free plan and an empty vault", async () => {
    await open();
    const email = uniqueEmail("browser");

    await signUp(page, email);

    await expect.poll(text("user-email")).toBe(email);
    expect(await page.getByTestId("tier-badge").textContent()).toBe("Free plan");
    expect(await page.getByTestId("stat-memories").textContent()).toBe("0");
    expect(await page.getByTestId("vault-status").textContent()).toBe("Empty");
    expect(await page.getByTestId("auth-screen").count()).toBe(0);
    await expectNoSeriousViolations(page, "the empty vault");
  });

  it("shows the server's reason when the password is too short", async () => {
    await open();

    await submitAccountForm(page, "signup", uniqueEmail("browser"), "short");

    await expect.poll(() => page.locator("#auth-error").textContent()).toBe("Choose a password of at least 8 characters.");
    expect(await page.locator("#password").getAttribute("aria-invalid")).toBe("true");
    expect(await page.getByTestId("vault-screen").count()).toBe(0);
    await expectNoSeriousViolations(page, "the sign-up form showing an error");
  });

  it("shows the server's message when the e-mail already has an account", async () => {
    const email = uniqueEmail("browser");
    await apiClient(session.stack.apiUrl).signUp(email);
    await open();

    await submitAccountForm(page, "signup", email, "a long enough passphrase");

    await expect.poll(() => page.locator("#auth-error").textContent()).toMatch(/already/i);
    expect(await page.getByTestId("vault-screen").count()).toBe(0);
  });

  it("keeps the person signed in across a reload", async () => {
    await open();
    const email = uniqueEmail("browser");
    await signUp(page, email);

    await page.reload();

    await page.getByTestId("vault-screen").waitFor();
    await expect.poll(text("user-email")).toBe(email);
  });
});

describe("logging in and out", () => {
  it("shows the server's message for a wrong password and stays on the form", async () => {
    const email = uniqueEmail("browser");
    await apiClient(session.stack.apiUrl).signUp(email);
    await open();

    await submitAccountForm(page, "login", email, "not the right passphrase");

    await expect.poll(() => page.locator("#auth-error").textContent()).toBe("The e-mail address or password is not right.");
    expect(await page.getByTestId("vault-screen").count()).toBe(0);
    expect(await page.locator("#auth-submit").textContent()).toBe("Log in");
  });

  it("returns to the form on log-out, and logging in again shows the memories already in the vault", async () => {
    const email = uniqueEmail("browser");
    const api = apiClient(session.stack.apiUrl);
    const { body } = await api.signUp(email);
    await waitForUpload(api, body.token, await uploadBytes(api, body.token, "conversations.json", chatgptExport(conversations("kept", 2))));
    await open();
    await submitAccountForm(page, "login", email, "a long enough passphrase");
    await page.getByTestId("vault-screen").waitFor();
    await expect.poll(text("stat-memories")).toBe("6");
    const cookie = await sessionCookie();

    await page.getByRole("button", { name: "Log out" }).click();

    await page.getByTestId("auth-screen").waitFor();
    expect(await page.getByTestId("vault-screen").count()).toBe(0);
    expect((await api.call("GET", "/api/personal/me", { cookie })).status, "the old session still works").toBe(401);

    await submitAccountForm(page, "login", email, "a long enough passphrase");

    await page.getByTestId("vault-screen").waitFor();
    await expect.poll(text("stat-memories")).toBe("6");
    await expect.poll(text("vault-status")).toBe("Ready");
  });
});

/** The browser's cookies for the page, as a `Cookie` header. */
async function sessionCookie(): Promise<string> {
  const cookies = await session.context.cookies(session.stack.apiUrl);
  return cookies.map((cookie) => `${cookie.name}=${cookie.value}`).join("; ");
}
