import { readFile, mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page, type Route } from "playwright-core";
import { expect } from "vitest";

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
    const seen = new WeakMap();
    new MutationObserver(() => {
      for (const status of document.querySelectorAll(".upload-status")) {
        const text = status.textContent;
        if (text && seen.get(status) !== text) {
          seen.set(status, text);
          window.__statuses.push(text);
        }
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
`;

/** A desktop window; `narrow` is a 390 px phone. */
export const VIEWPORTS = { desktop: { width: 1280, height: 900 }, narrow: { width: 390, height: 844 } } as const;

/**
 * A fresh browser profile (no cookies) on the stack's page, ready once it has decided which screen to
 * show. `errors` collects uncaught exceptions in the page, which every test expects to stay empty.
 */
export async function openApp(
  browser: Browser,
  stack: { apiUrl: string },
  options: BrowserContextOptions = {},
): Promise<{ context: BrowserContext; page: Page; errors: Error[] }> {
  const context = await browser.newContext({ viewport: VIEWPORTS.desktop, ...options });
  await context.addInitScript({ content: RECORD_STATUSES });
  const page = await context.newPage();
  const errors: Error[] = [];
  page.on("pageerror", (error) => errors.push(error));
  await page.goto(stack.apiUrl);
  await page.locator('[data-testid="auth-screen"], [data-testid="vault-screen"]').first().waitFor();
  return { context, page, errors };
}

/** The texts the upload status lines have shown so far. */
export function statusHistory(page: Page): Promise<string[]> {
  return page.evaluate("window.__statuses");
}

/**
 * Holds the page's requests whose URL `matches` until the test lets them through, so that the test
 * chooses the order in which their answers arrive.
 */
export async function holdRequests(page: Page, matches: (url: URL) => boolean) {
  const routes: Route[] = [];
  let open = false;
  await page.route(matches, (route) => (open ? route.continue() : void routes.push(route)));
  return {
    /** The requests held so far, in the order the page asked; `continue()` lets one through. */
    routes,
    /** Lets every held request through, and any the page asks from now on. */
    async releaseAll() {
      open = true;
      for (const route of routes.splice(0)) await route.continue();
    },
  };
}

/**
 * Counts the answers from `pathname` (leaving out those whose query has `without`) the page has read,
 * from its next load on. The API client reads each body with `Response.text()`; the count goes up in
 * a task queued as the body is read, so after the promise jobs that use it: once it has gone up, the
 * page has done with that answer.
 */
export async function countAnswersRead(page: Page, pathname: string, options: { without?: string } = {}) {
  const counter = `window[${JSON.stringify(`answersRead ${pathname} ${options.without ?? ""}`)}]`;
  await page.addInitScript(`{
    const read = Response.prototype.text;
    Response.prototype.text = async function () {
      const body = await read.call(this);
      const url = new URL(this.url);
      const without = ${JSON.stringify(options.without ?? null)};
      if (url.pathname === ${JSON.stringify(pathname)} && !(without && url.searchParams.has(without))) setTimeout(() => (${counter} = (${counter} ?? 0) + 1));
      return body;
    };
  }`);
  return {
    count: (): Promise<number> => page.evaluate(`${counter} ?? 0`),
    /** Waits until the page has read more than `count` of them. */
    async waitBeyond(count: number): Promise<void> {
      await page.waitForFunction(`(${counter} ?? 0) > ${count}`);
    },
  };
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
  await page.getByTestId("vault-screen").waitFor();
}

/** The row of the newest upload of a file of this name. */
export function uploadRow(page: Page, filename: string) {
  return page.locator(".upload", { has: page.locator(".upload-name", { hasText: filename }) }).first();
}

/** The file input of the vault's upload component. */
export function fileInput(page: Page) {
  return page.locator('.vault-upload input[type="file"]');
}

/** A screen as a person would see it, kept for looking at: `test-results/screens/<name>.png`. */
export async function saveScreenshot(page: Page, name: string): Promise<void> {
  await mkdir("test-results/screens", { recursive: true });
  await page.screenshot({ path: `test-results/screens/${name}.png`, fullPage: true });
}

/** A test's failure, kept as a picture: `test-results/failures/<file> - <test>.png`. */
export async function screenshotIfFailed(task: { name: string; file?: { name: string }; result?: { state?: string } }, page: Page | undefined): Promise<void> {
  if (task.result?.state !== "fail" || !page || page.isClosed()) return;
  const name = `${path.basename(task.file?.name ?? "test")} - ${task.name}`.replace(/[^\w .-]+/g, "_").slice(0, 180);
  await mkdir("test-results/failures", { recursive: true });
  await page.screenshot({ path: `test-results/failures/${name}.png`, fullPage: true }).catch(() => undefined);
}

const require = createRequire(import.meta.url);
let axeSource: string | undefined;

/**
 * Runs axe-core (https://github.com/dequelabs/axe-core) on the page as it is and fails on any serious
 * or critical violation, naming the rule and the elements.
 */
export async function expectNoSeriousViolations(page: Page, where: string): Promise<void> {
  axeSource ??= await readFile(require.resolve("axe-core/axe.min.js"), "utf8");
  if (!(await page.evaluate("typeof window.axe !== 'undefined'"))) await page.addScriptTag({ content: axeSource });
  const violations = (await page.evaluate(`axe.run(document, { resultTypes: ["violations"] }).then((result) => result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((node) => node.target.join(" ")),
  })))`)) as Array<{ id: string; impact: string | null; help: string; targets: string[] }>;
  const serious = violations.filter((violation) => violation.impact === "serious" || violation.impact === "critical");
  expect(serious.map((violation) => `${violation.impact} ${violation.id}: ${violation.help} (${violation.targets.join(", ")})`), `axe on ${where}`).toEqual([]);
}
