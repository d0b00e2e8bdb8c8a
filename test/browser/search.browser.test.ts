import pg from "pg";
import type { BrowserContextOptions, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueEmail } from "../support/api";
import { chatgptExport, type ConversationSpec } from "../support/exports";
import { expectNoSeriousViolations, fileInput, saveScreenshot, signUp, uploadRow, VIEWPORTS } from "./support/browser";
import { useBrowserSession } from "./support/session";

const session = useBrowserSession({ label: "search" });
let db: pg.Pool;
let page: Page;

beforeAll(() => {
  db = new pg.Pool({ connectionString: session.stack.databaseUrl, max: 1 });
});

afterAll(async () => {
  await db?.end();
});

/** Two trips a year apart that both mention a tram, and one that does not. */
const TRIPS: ConversationSpec[] = [
  {
    id: "lisbon",
    title: "Planning the Lisbon trip",
    startTime: Date.parse("2024-05-01T10:00:00Z") / 1000,
    turns: [["Which tram goes up to the castle in Lisbon?", "Take the yellow tram 28 from Martim Moniz; it climbs past the cathedral to the castle."]],
  },
  {
    id: "porto",
    title: "A weekend in Porto",
    startTime: Date.parse("2023-03-12T09:00:00Z") / 1000,
    turns: [["Is there a tram along the river in Porto?", "Yes: tram line 1 runs along the Douro from the centre to Foz."]],
  },
  {
    id: "soup",
    title: "Lentil soup",
    startTime: Date.parse("2024-02-02T18:00:00Z") / 1000,
    turns: [["How long do lentils cook?", "About 25 minutes, until soft."]],
  },
];

/** A person signed up through the form, with the trips in their vault, on the given plan. */
async function withTrips(label: string, tier: "free" | "premium", options: BrowserContextOptions = {}): Promise<void> {
  page = await session.open(options);
  const email = uniqueEmail(label);
  await signUp(page, email);
  await db.query("UPDATE personal.user_tiers SET tier = $2 WHERE user_id = (SELECT id FROM personal.users WHERE email = $1)", [email, tier]);
  const file = await session.writeTemp("conversations.json", chatgptExport(TRIPS));
  await fileInput(page).setInputFiles(file);
  await uploadRow(page, "conversations.json").and(page.locator('[data-state="complete"]')).waitFor({ timeout: 60_000 });
  await page.getByRole("link", { name: "Search" }).click();
  await page.getByRole("heading", { name: "Search your memories" }).waitFor();
}

const shot = (name: string) => saveScreenshot(page, name);

const titles = () => page.getByTestId("search-results").locator(".memory-title").allTextContents();

async function search(words: string) {
  await page.getByRole("searchbox", { name: "Words or a question" }).fill(words);
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await page.getByTestId("search-results").locator(".note, .empty").first().waitFor();
}

describe("searching one's memories", () => {
  it("finds memories by their words, marks the matches, and narrows by source and by date", async () => {
    await withTrips("search", "premium");

    await search("tram");

    // Search is hybrid (meaning and words): every memory may come back, the two with the word first.
    expect((await titles()).slice(0, 2).sort()).toEqual(["A weekend in Porto", "Planning the Lisbon trip"]);
    expect(await page.getByTestId("memory-card").filter({ hasText: "Lentil soup" }).locator("mark").count()).toBe(0);
    const lisbon = page.getByTestId("memory-card").filter({ hasText: "Planning the Lisbon trip" });
    expect(await lisbon.locator("mark").allTextContents()).toContain("tram");
    expect(await lisbon.textContent()).toContain("May 1, 2024 · ChatGPT");
    await lisbon.getByRole("button", { name: "Show the whole exchange" }).click();
    await expect.poll(() => lisbon.getByTestId("memory-whole").textContent()).toContain("Take the yellow tram 28 from Martim Moniz");
    await expectNoSeriousViolations(page, "search with results");
    await shot("search-results-desktop-light");

    // From 1 January 2024: Porto (March 2023) drops out.
    await page.getByLabel("From").fill("2024-01-01");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await expect.poll(async () => (await titles()).includes("A weekend in Porto")).toBe(false);
    expect(await titles()).toContain("Planning the Lisbon trip");

    // Claude: nothing of this vault came from there.
    await page.getByLabel("From").fill("");
    await page.getByLabel("Source").selectOption({ label: "Claude" });
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await expect.poll(() => page.getByTestId("search-results").textContent()).toContain("Nothing in your vault matches “tram”");
    expect(await page.getByTestId("memory-card").count()).toBe(0);
  });

  it("shows a free plan what search would unlock, with an upgrade button, not an error", async () => {
    await withTrips("search-free", "free");

    const locked = page.getByTestId("search-locked");
    // The count arrives with the vault's status, after the screen is drawn.
    await expect.poll(() => locked.textContent()).toContain("Your vault holds 3 memories ready to be searched.");
    expect(await locked.textContent()).toContain("Memory search is part of Premium; your account is on the Free plan.");
    expect(await locked.getByRole("button", { name: /^Upgrade/ }).isVisible()).toBe(true);
    expect(await page.getByRole("searchbox").count(), "no search box to run into a refusal").toBe(0);
    expect(await page.getByRole("alert").count()).toBe(0);
    await expectNoSeriousViolations(page, "search on the free plan");
  });

  it("shows results on a 390 px phone in dark mode, readable and without serious accessibility violations", async () => {
    await withTrips("search-phone", "premium", { viewport: VIEWPORTS.narrow, colorScheme: "dark", isMobile: true, hasTouch: true });

    await search("tram");

    expect(await page.evaluate(`document.documentElement.scrollWidth <= ${VIEWPORTS.narrow.width}`), "nothing wider than the phone").toBe(true);
    await expectNoSeriousViolations(page, "search results (390 px, dark)");
    await shot("search-results-narrow-dark");
  });
});
