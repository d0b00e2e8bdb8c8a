import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

/**
 * Debian's Chromium (`apt-get install chromium`); a browser is never downloaded. Root needs
 * `--no-sandbox`; the rest keeps Chromium from reaching for a network the machine does not have.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/**
 * Records every text the upload rows' status lines show, in order, from the first paint on: a small
 * export moves through its phases faster than a test could poll for them.
 */
const RECORD_STATUSES = `
  window.__statuses = [];
  document.addEventListener("DOMContentLoaded", () => {
    const list = document.getElementById("upload-list");
    const seen = new WeakMap();
    new MutationObserver(() => {
      for (const status of list.querySelectorAll(".upload-status")) {
        const text = status.textContent;
        if (text && seen.get(status) !== text) {
          seen.set(status, text);
          window.__statuses.push(text);
        }
      }
    }).observe(list, { subtree: true, childList: true, characterData: true });
  });
`;

/**
 * A fresh browser profile (no cookies) on the stack's page, ready once it has decided which screen to
 * show. `errors` collects uncaught exceptions in the page, which every test expects to stay empty.
 */
export async function openApp(browser: Browser, stack: { apiUrl: string }): Promise<{ context: BrowserContext; page: Page; errors: Error[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript({ content: RECORD_STATUSES });
  const page = await context.newPage();
  const errors: Error[] = [];
  page.on("pageerror", (error) => errors.push(error));
  await page.goto(stack.apiUrl);
  await page.locator("#auth-screen:not([hidden]), #vault-screen:not([hidden])").waitFor();
  return { context, page, errors };
}

/** The texts the upload status lines have shown so far. */
export function statusHistory(page: Page): Promise<string[]> {
  return page.evaluate("window.__statuses");
}

/** Fills and sends the form in the given mode; the caller asserts what follows. */
export async function submitAccountForm(page: Page, mode: "signup" | "login", email: string, password: string): Promise<void> {
  await page.locator(`[data-mode="${mode}"]`).click();
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.locator("#auth-submit").click();
}

/** Signs up through the form and waits for the signed-in screen. */
export async function signUp(page: Page, email: string, password = "a long enough passphrase"): Promise<void> {
  await submitAccountForm(page, "signup", email, password);
  await page.locator("#vault-screen").waitFor();
}

/** The row of the newest upload of a file of this name. */
export function uploadRow(page: Page, filename: string) {
  return page.locator(".upload", { has: page.locator(".upload-name", { hasText: filename }) }).first();
}
