import path from "node:path";
import type { BrowserContextOptions, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { generateChatGptExport } from "../../bench/generate-export";
import { uniqueEmail } from "../support/api";
import { chatgptExport, conversations } from "../support/exports";
import { expectNoSeriousViolations, fileInput, saveScreenshot, signUp, uploadRow, VIEWPORTS } from "./support/browser";
import { useBrowserSession } from "./support/session";

const session = useBrowserSession({ label: "screens" });
let page: Page;

/** A phone is narrow and touch-only; the desktop is wide with a mouse. Each in light and dark. */
const VARIANTS: Array<{ name: string; options: BrowserContextOptions }> = [
  { name: "desktop-light", options: { viewport: VIEWPORTS.desktop, colorScheme: "light" } },
  { name: "desktop-dark", options: { viewport: VIEWPORTS.desktop, colorScheme: "dark" } },
  { name: "narrow-light", options: { viewport: VIEWPORTS.narrow, colorScheme: "light", isMobile: true, hasTouch: true } },
  { name: "narrow-dark", options: { viewport: VIEWPORTS.narrow, colorScheme: "dark", isMobile: true, hasTouch: true } },
];

async function open(options: BrowserContextOptions = {}) {
  page = await session.open(options);
}

const shot = (name: string) => saveScreenshot(page, name);

function exportFile(name: string, count: number): Promise<string> {
  return session.writeTemp(name, chatgptExport(conversations(name, count)));
}

/** Whether the element is wholly inside the window as it is scrolled now. */
function onScreen(selector: string): Promise<boolean> {
  return page.evaluate(`(() => {
    const box = document.querySelector(${JSON.stringify(selector)}).getBoundingClientRect();
    return box.top >= 0 && box.bottom <= window.innerHeight && box.left >= 0 && box.right <= window.innerWidth;
  })()`);
}

/** The text of whatever has the keyboard focus. */
const focusedText = () => page.evaluate<string | undefined>("document.activeElement?.textContent");

describe.each(VARIANTS)("every screen, $name", ({ name, options }) => {
  it("the sign-up screen has no serious accessibility violations", async () => {
    await open(options);

    await expectNoSeriousViolations(page, `sign-up (${name})`);
    await shot(`auth-${name}`);
  });

  it("the vault with an upload in it, chat with an answer, search, and settings, have no serious accessibility violations", async () => {
    await open(options);
    await signUp(page, uniqueEmail(`screens-${name}`));
    await fileInput(page).setInputFiles(await exportFile("conversations.json", 3));
    await uploadRow(page, "conversations.json").and(page.locator('[data-state="complete"]')).waitFor({ timeout: 60_000 });

    await expectNoSeriousViolations(page, `vault (${name})`);
    await shot(`vault-${name}`);
    await page.getByRole("link", { name: "Chat" }).click();
    await page.getByRole("textbox", { name: "Message" }).fill("How do I handle a gardening problem?");
    await page.getByRole("button", { name: "Send" }).click();
    await page.getByTestId("chat-answer").and(page.locator('[aria-busy="false"]')).waitFor();
    await page.getByTestId("memory-card").first().getByRole("button", { name: "Show the whole exchange" }).click();
    await page.getByTestId("memory-whole").first().locator(".turn").first().waitFor();
    await expectNoSeriousViolations(page, `chat (${name})`);
    await shot(`chat-${name}`);
    // Three cards first; the others on request.
    expect(await page.getByTestId("memory-card").count()).toBe(3);
    const more = page.getByRole("button", { name: /^Show \d+ more$/ });
    const hidden = Number((await more.textContent())!.match(/\d+/)![0]);
    await more.click();
    await expect.poll(() => page.getByTestId("memory-card").count()).toBe(3 + hidden);
    await page.getByRole("link", { name: "Search" }).click();
    await page.getByTestId("search-locked").waitFor();
    await expectNoSeriousViolations(page, `search on the free plan (${name})`);
    await shot(`search-free-${name}`);
    await page.getByRole("link", { name: "Settings" }).click();
    await page.getByRole("heading", { name: "Settings" }).waitFor();
    await expectNoSeriousViolations(page, `settings (${name})`);
    await shot(`settings-${name}`);
  });
});

describe("what a newcomer saw on a 390 px phone", () => {
  const phone: BrowserContextOptions = { viewport: VIEWPORTS.narrow, isMobile: true, hasTouch: true };

  it("shows the whole e-mail address, not a cut-off one", async () => {
    await open(phone);
    const email = uniqueEmail("a-rather-long-name-for-a-phone");

    await signUp(page, email);

    const shown = page.getByTestId("user-email");
    expect(await shown.textContent()).toBe(email);
    expect(await page.evaluate(`(() => { const shown = document.querySelector('[data-testid="user-email"]'); return shown.scrollWidth <= shown.clientWidth; })()`)).toBe(true);
    expect(await onScreen('[data-testid="user-email"]')).toBe(true);
  });

  it("keeps the row of a file being uploaded on screen", async () => {
    await open(phone);
    await signUp(page, uniqueEmail("phone-upload"));
    const file = path.join(session.dir, "phone-conversations.json");
    await generateChatGptExport(file, 12 * 1024 * 1024, 5);
    const network = await session.context.newCDPSession(page);
    await network.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 512 * 1024 });

    await fileInput(page).setInputFiles(file);

    const row = uploadRow(page, "phone-conversations.json");
    await row.locator(".upload-status", { hasText: "Uploading" }).waitFor();
    await expect.poll(() => onScreen(".live-uploads .upload")).toBe(true);
    await row.getByRole("button", { name: "Cancel uploading phone-conversations.json" }).click();
    await row.and(page.locator('[data-state="failed"]')).waitFor();
  });

  it("does not ask a touch screen to drop a file", async () => {
    await open(phone);
    await signUp(page, uniqueEmail("touch"));

    const zone = (await page.getByTestId("dropzone").textContent()) ?? "";
    expect(zone).toContain("Choose your export");
    expect(zone.toLowerCase()).not.toContain("drop");
  });
});

describe("keyboard and motion", () => {
  it("reaches every screen by keyboard, with a visible focus ring", async () => {
    await open();
    await signUp(page, uniqueEmail("keyboard"));
    await page.reload();
    await page.getByTestId("vault-screen").waitFor();

    await page.keyboard.press("Tab");
    expect(await focusedText()).toBe("Skip to content");
    let settings = false;
    for (let presses = 0; presses < 10 && !settings; presses++) {
      await page.keyboard.press("Tab");
      settings = (await focusedText()) === "Settings";
    }
    expect(settings, "Settings is reached with Tab").toBe(true);
    const ring = await page.evaluate<{ style: string; width: number }>(`(() => {
      const style = getComputedStyle(document.activeElement);
      return { style: style.outlineStyle, width: parseFloat(style.outlineWidth) };
    })()`);
    expect(ring.style).not.toBe("none");
    expect(ring.width).toBeGreaterThanOrEqual(2);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Settings" }).waitFor();
    expect(await focusedText()).toBe("Settings");
  });

  it("stops every animation for someone who asks for reduced motion, and shows a waiting bar full, not a third", async () => {
    await open({ reducedMotion: "reduce" });

    const bar = await page.evaluate(`(() => {
      const progress = document.createElement("div");
      progress.className = "progress indeterminate";
      progress.style.width = "200px";
      const fill = document.createElement("span");
      fill.className = "progress-fill";
      progress.append(fill);
      document.body.append(progress);
      const style = getComputedStyle(fill);
      return { animation: style.animationName, width: fill.getBoundingClientRect().width };
    })()`);
    expect(bar).toEqual({ animation: "none", width: 200 });
  });
});
