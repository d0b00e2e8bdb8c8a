import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Browser, BrowserContext, BrowserContextOptions, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { launchChromium, openApp, screenshotIfFailed } from "./browser";
import { startBrowserTestStack } from "./stack";

export type BrowserTestStack = Awaited<ReturnType<typeof startBrowserTestStack>>;

/** What a browser test file works with; each getter throws when read before `beforeAll` has run. */
export interface BrowserSession {
  /** The whole local stack, started once for the file. */
  readonly stack: BrowserTestStack;
  readonly browser: Browser;
  /** The current test's browser profile (from {@link BrowserSession.open}). */
  readonly context: BrowserContext;
  /** The current test's page (from {@link BrowserSession.open}). */
  readonly page: Page;
  /** A temporary folder for the file's exports, removed after its last test. */
  readonly dir: string;
  /** A fresh profile (no cookies) on the app; its context is closed after the test. */
  open(options?: BrowserContextOptions): Promise<Page>;
  /** A fresh profile signed in with a session token (from the API's sign-up or log-in), on `#/<screen>`. */
  openSignedIn(token: string, screen: string, options?: BrowserContextOptions): Promise<Page>;
  /** Writes `data` as `name` in a folder of its own (the page shows the file's name) and returns its path. */
  writeTemp(name: string, data: string | Buffer): Promise<string>;
}

/**
 * Registers the lifecycle every browser test file shares: before all, the stack, Chromium and a temp
 * folder; after each test, a screenshot when it failed, no uncaught errors in the page, the profile
 * closed; after all, everything stopped. Call it once at the top of a file; hooks a file adds after it
 * run after these on the way in and before them on the way out (vitest runs after-hooks in reverse).
 */
export function useBrowserSession(options: { label?: string } = {}): BrowserSession {
  let stack: BrowserTestStack | undefined;
  let browser: Browser | undefined;
  let dir: string | undefined;
  let current: { context: BrowserContext; page: Page; errors: Error[] } | undefined;

  beforeAll(async () => {
    stack = await startBrowserTestStack();
    browser = await launchChromium();
    dir = await mkdtemp(path.join(os.tmpdir(), `cogzy-${options.label ?? "browser"}-`));
  });

  afterEach(async ({ task }) => {
    const opened = current;
    current = undefined;
    if (!opened) return;
    try {
      await screenshotIfFailed(task, opened.page);
      expect(opened.errors, "uncaught errors in the page").toEqual([]);
    } finally {
      await opened.context.close();
    }
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not there: useBrowserSession's beforeAll has not run${what === "the page" ? ", or the test did not call open()" : ""}`);
    return value;
  };

  return {
    get stack() {
      return ready(stack, "the stack");
    },
    get browser() {
      return ready(browser, "the browser");
    },
    get context() {
      return ready(current, "the page").context;
    },
    get page() {
      return ready(current, "the page").page;
    },
    get dir() {
      return ready(dir, "the temp folder");
    },
    async open(contextOptions = {}) {
      if (current) throw new Error("open() was called twice in one test");
      current = await openApp(ready(browser, "the browser"), ready(stack, "the stack"), contextOptions);
      return current.page;
    },
    async openSignedIn(token, screen, contextOptions = {}) {
      const page = await this.open(contextOptions);
      const { apiUrl } = ready(stack, "the stack");
      await page.context().addCookies([{ name: "session_id", value: token, url: apiUrl }]);
      // Only the hash changes, which a browser takes as the same page: reload it to boot with the cookie.
      await page.goto(`${apiUrl}/#/${screen}`);
      await page.reload();
      await page.getByTestId("vault-screen").waitFor();
      return page;
    },
    async writeTemp(name, data) {
      const file = path.join(ready(dir, "the temp folder"), `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`, name);
      await mkdir(path.dirname(file));
      await writeFile(file, data);
      return file;
    },
  };
}
