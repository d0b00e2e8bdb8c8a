import { execFile } from "node:child_process";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import type { BrowserContextOptions, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { generateChatGptExport } from "../../bench/generate-export";
import { apiClient, uniqueEmail } from "../support/api";
import { chatgptExport, type ConversationSpec } from "../support/exports";
import { expectNoSeriousViolations, fileInput, saveScreenshot, signUp, statusHistory, submitAccountForm, uploadRow, VIEWPORTS } from "./support/browser";
import { useBrowserSession } from "./support/session";

/**
 * The whole journey of issue 13, as one person in one browser profile: sign up, upload two exports
 * (one large enough to go in parts) and watch them, look at the topics, chat until the free plan's
 * limit, become premium (`vault tier set`), search, forget a conversation, create and revoke a token,
 * export the vault, and delete the account. Once on a desktop, once on a 390 px phone, once in dark mode.
 */
const session = useBrowserSession({ label: "journey" });
let page: Page;

const run = promisify(execFile);
const MB = 1024 * 1024;
const PASSWORD = "a long enough passphrase";

/** The small export: the memory the journey looks for, and something else. */
const TRIPS: ConversationSpec[] = [
  {
    id: "lisbon",
    title: "Planning the Lisbon trip",
    startTime: Date.parse("2024-05-01T10:00:00Z") / 1000,
    turns: [["Which tram goes up to the castle in Lisbon?", "Take the yellow tram 28 from Martim Moniz; it climbs past the cathedral to the castle."]],
  },
  { id: "soup", title: "Lentil soup", startTime: Date.parse("2024-02-02T18:00:00Z") / 1000, turns: [["How long do lentils cook?", "About 25 minutes, until soft."]] },
];

const VARIANTS: Array<{ name: string; options: BrowserContextOptions }> = [
  { name: "desktop", options: { viewport: VIEWPORTS.desktop, colorScheme: "light" } },
  { name: "narrow", options: { viewport: VIEWPORTS.narrow, colorScheme: "light", isMobile: true, hasTouch: true } },
  { name: "dark", options: { viewport: VIEWPORTS.desktop, colorScheme: "dark" } },
];

/** `vault tier set <email> premium`, the operator's command, against the test stack's database. */
async function setTier(email: string, tier: "free" | "premium") {
  const cli = path.resolve(import.meta.dirname, "../../cli/vault.js");
  const { stdout } = await run(process.execPath, [cli, "tier", "set", email, tier], { env: { ...process.env, DATABASE_URL: session.stack.databaseUrl } });
  expect(stdout).toContain(`${email} is now on the ${tier} plan until it is set again`);
}

async function goTo(label: string, heading: string) {
  await page.getByRole("link", { name: label, exact: true }).click();
  await page.getByRole("heading", { name: heading, level: 1 }).waitFor();
}

async function ask(question: string) {
  await page.getByRole("textbox", { name: "Message" }).fill(question);
  await page.getByRole("button", { name: "Send" }).click();
}

describe.each(VARIANTS)("the whole journey, $name", ({ name, options }) => {
  it("sign up → two uploads → topics → chat to the limit → premium → search → forget → token → export → delete the account", { timeout: 400_000 }, async () => {
    const width = options.viewport!.width;
    const fits = () => page.evaluate(`document.documentElement.scrollWidth <= ${width}`);
    const check = async (where: string) => {
      expect(await fits(), `${where} fits ${width} px`).toBe(true);
      await expectNoSeriousViolations(page, `${where} (${name})`);
      await saveScreenshot(page, `journey-${name}-${where}`);
    };

    // Sign up.
    page = await session.open(options);
    const email = uniqueEmail(`journey-${name}`);
    await signUp(page, email, PASSWORD);

    // Two exports at once, the big one in parts; progress shown, both complete.
    const big = path.join(session.dir, `${name}-big`, "conversations.json");
    await mkdir(path.dirname(big), { recursive: true });
    await generateChatGptExport(big, 11 * MB, 7);
    const small = await session.writeTemp("trips.json", chatgptExport(TRIPS));
    const completions: string[] = [];
    page.on("request", (request) => {
      if (request.method() === "POST" && /\/vault\/uploads\/[^/]+\/complete$/.test(request.url())) completions.push(request.url());
    });
    await fileInput(page).setInputFiles([big, small]);
    for (const file of ["conversations.json", "trips.json"]) {
      await uploadRow(page, file).and(page.locator('[data-state="complete"]')).waitFor({ timeout: 180_000 });
    }
    expect(completions.length, "the 11 MB export went in parts").toBe(1);
    const shown = await statusHistory(page);
    expect(shown.filter((status) => /^(Uploading|Sent|Queued|Reading|Indexing|Adding)/.test(status)).length, `statuses shown: ${shown.join(" | ")}`).toBeGreaterThan(1);
    expect(await uploadRow(page, "trips.json").locator(".upload-outcome").textContent()).toBe("2 memories added, 0 already in your vault");
    await expect.poll(() => page.getByTestId("vault-status").textContent()).toBe("Ready");
    const memories = Number((await page.getByTestId("stat-memories").textContent())!.replaceAll(",", ""));
    expect(memories).toBeGreaterThan(100);
    await check("vault");

    // Topics: a map of the vault; choosing a topic lists its memories.
    await goTo("Topics", "Topics");
    const boxes = page.getByTestId("topic-map").getByRole("button");
    await boxes.first().waitFor();
    expect(await boxes.count()).toBeGreaterThan(1);
    const first = (await boxes.first().getAttribute("title"))!;
    await boxes.first().click();
    const detail = page.getByTestId("topic-detail");
    await expect.poll(() => detail.getByRole("status").textContent()).toBe(`${first.split(" · ").at(-1)}, newest first`);
    await detail.locator(".memory-title").first().waitFor();
    await check("topics");

    // Chat on the free plan: an answer from the vault, then the limit at message 21.
    await goTo("Chat", "Ask your memory");
    await ask("Which tram goes up to the castle in Lisbon?");
    await page.getByTestId("chat-answer").last().and(page.locator('[aria-busy="false"]')).waitFor();
    expect((await page.getByTestId("memory-card").locator(".memory-title").allTextContents()).some((title) => title.includes("Planning the Lisbon trip"))).toBe(true);
    const api = apiClient(session.stack.apiUrl);
    const { body: login } = await api.logIn(email, PASSWORD);
    for (let sent = 2; sent <= 20; sent++) {
      expect((await api.route("POST /api/personal/chat", { token: login.token, body: { message: `question ${sent} about soup` } })).status).toBe(200);
    }
    await ask("And which tram goes to Belém?");
    const limit = page.getByTestId("daily-limit");
    await limit.waitFor();
    expect(await limit.textContent()).toContain("You have used all 20 of today’s messages.");
    await limit.getByRole("button", { name: /^Upgrade/ }).waitFor();
    await check("chat-limit");

    // Premium, as an operator sets it: search finds the trip; chat answers again.
    await setTier(email, "premium");
    await page.reload();
    await page.getByTestId("vault-screen").waitFor();
    await goTo("Search", "Search your memories");
    await page.getByRole("searchbox", { name: "Words or a question" }).fill("yellow tram castle");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await expect.poll(() => page.getByTestId("search-results").locator(".memory-title").allTextContents()).toContain("Planning the Lisbon trip");
    await check("search");
    await goTo("Chat", "Ask your memory");
    await ask("And which tram goes to Belém?");
    await page.getByTestId("chat-answer").last().and(page.locator('[aria-busy="false"]')).waitFor();
    expect(await page.getByTestId("daily-limit").count(), "premium has no daily limit").toBe(0);

    // Forget the trip's conversation: gone from search and from chat.
    await goTo("Memories", "Memories");
    await page.getByTestId("vault-conversations").getByRole("button", { name: /Planning the Lisbon trip/ }).click();
    const shownMemories = page.getByTestId("memories-shown");
    await shownMemories.getByRole("button", { name: "Forget this conversation…" }).click();
    await shownMemories.getByRole("button", { name: "Forget", exact: true }).click();
    await expect.poll(() => page.getByTestId("forget-notice").textContent(), { timeout: 120_000 }).toContain("“Planning the Lisbon trip” is forgotten");
    await check("memories");
    await goTo("Search", "Search your memories");
    await page.getByRole("searchbox", { name: "Words or a question" }).fill("yellow tram castle");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await page.getByTestId("search-results").locator(".note, .empty").first().waitFor();
    expect(await page.getByTestId("search-results").locator(".memory-title").allTextContents()).not.toContain("Planning the Lisbon trip");
    await goTo("Chat", "Ask your memory");
    await ask("Which tram goes up to the castle in Lisbon?");
    await page.getByTestId("chat-answer").last().and(page.locator('[aria-busy="false"]')).waitFor();
    expect((await page.getByTestId("chat-answer").last().textContent())!, "the answer cites nothing of the forgotten trip").not.toContain("Planning the Lisbon trip");
    expect((await page.getByTestId("memory-card").locator(".memory-title").allTextContents()).filter((title) => title.includes("Lisbon")), "no card on the page shows it").toEqual([]);

    // A token for another AI: created, working, revoked, refused.
    await goTo("Settings", "Settings");
    await page.getByLabel("Name of the new token").fill("Journey agent");
    await page.getByRole("button", { name: "Create token" }).click();
    const token = (await page.getByTestId("new-token-value").textContent())!;
    expect((await api.route("GET /api/personal/vault/search", { token, query: { q: "tram" } })).status).toBe(200);
    await page.getByRole("button", { name: "Revoke Journey agent" }).click();
    await page.getByRole("button", { name: "Revoke", exact: true }).click();
    await page.getByTestId("access-tokens").getByText("No tokens yet.").waitFor();
    expect((await api.route("GET /api/personal/vault/search", { token, query: { q: "tram" } })).status).toBe(401);

    // Export: the zip downloads.
    const data = page.getByTestId("vault-data");
    const [download] = await Promise.all([page.waitForEvent("download"), data.getByRole("button", { name: "Export vault" }).click()]);
    const zip = path.join(session.dir, `${name}-vault.zip`);
    await download.saveAs(zip);
    expect((await readFile(zip)).subarray(0, 4)).toEqual(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
    await data.getByTestId("export-ready").waitFor();

    // Delete the account: the password again; afterwards logging in fails.
    await data.getByRole("button", { name: "Delete account…" }).click();
    await page.getByLabel("Type your password to delete your account").fill(PASSWORD);
    await check("settings");
    await data.getByRole("button", { name: "Delete my account and vault" }).click();
    await page.getByTestId("auth-screen").waitFor();
    await submitAccountForm(page, "login", email, PASSWORD);
    await expect.poll(() => page.locator("#auth-error").textContent()).toBe("The e-mail address or password is not right.");
    await check("after-deletion");
  });
});
