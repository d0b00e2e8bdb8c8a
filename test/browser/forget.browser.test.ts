import pg from "pg";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, uniqueEmail } from "../support/api";
import { chatgptExport, conversations, type ConversationSpec } from "../support/exports";
import { uploadBytes, waitForUpload } from "../support/ingest";
import { expectNoSeriousViolations, fileInput, saveScreenshot, uploadRow } from "./support/browser";
import { useBrowserSession } from "./support/session";

const session = useBrowserSession({ label: "forget" });
let page: Page;
let db: pg.Pool;

beforeAll(() => {
  db = new pg.Pool({ connectionString: session.stack.databaseUrl, max: 1 });
});

afterAll(async () => {
  await db?.end();
});

const PASSWORD = "a long enough passphrase";

const LISBON: ConversationSpec = {
  id: "lisbon",
  title: "Planning the Lisbon trip",
  startTime: Date.parse("2024-05-01T10:00:00Z") / 1000,
  turns: [["Which tram goes up to the castle in Lisbon?", "Take the yellow tram 28 from Martim Moniz; it climbs past the cathedral to the castle."]],
};

/** A premium person (search shows what forgetting removes) whose vault holds `files`, signed in on `screen`. */
async function signedInWith(label: string, screen: string, files: Array<[name: string, bytes: Buffer]>) {
  const api = apiClient(session.stack.apiUrl);
  const email = uniqueEmail(label);
  const { body } = await api.signUp(email, PASSWORD);
  await db.query("UPDATE personal.user_tiers SET tier = 'premium' WHERE user_id = $1", [body.user_id]);
  for (const [name, bytes] of files) await waitForUpload(api, body.token, await uploadBytes(api, body.token, name, bytes));
  page = await session.openSignedIn(body.token, screen);
  return { api, token: body.token };
}

const trips = (): [string, Buffer] => ["conversations.json", chatgptExport([LISBON, ...conversations("soup", 2, 3, "cooking")])];

describe("forgetting on the Memories screen", () => {
  it("forgets a whole conversation, asked twice: gone from the list, from search and from chat", async () => {
    const { api, token } = await signedInWith("forget-conversation", "memories", [trips()]);
    const list = page.getByTestId("vault-conversations");
    await list.getByRole("button", { name: /Planning the Lisbon trip/ }).click();
    const shown = page.getByTestId("memories-shown");
    await shown.getByRole("heading", { name: "Planning the Lisbon trip", level: 2 }).waitFor();

    await shown.getByRole("button", { name: "Forget this conversation…" }).click();
    expect(await shown.locator(".confirm").textContent()).toContain("Forget this whole conversation (1 memory) everywhere?");
    await expectNoSeriousViolations(page, "forgetting a conversation, asked");
    await shown.getByRole("button", { name: "Forget", exact: true }).click();

    await expect.poll(() => page.getByTestId("forget-notice").textContent(), { timeout: 60_000 }).toBe(
      "“Planning the Lisbon trip” is forgotten: 1 memory removed from your vault, search and chat.",
    );
    // The list reads the vault's new version: All memories and the two soups, without the trip.
    await expect.poll(() => list.getByRole("button").allTextContents()).toHaveLength(3);
    expect(await list.getByRole("button", { name: /Planning the Lisbon trip/ }).count()).toBe(0);
    await saveScreenshot(page, "forget-conversation-desktop-light");
    const search = await api.route("GET /api/personal/vault/search", { token, query: { q: "yellow tram castle Lisbon" } });
    expect(search.body.results.map((result) => result.conversation_id)).not.toContain("lisbon");
    const chat = await api.route("POST /api/personal/chat", { token, body: { message: "Which tram goes up to the castle in Lisbon?" } });
    expect(chat.body.memories_used.map((memory) => memory.conversation_title)).not.toContain("Planning the Lisbon trip");
  });

  it("forgets one memory of a conversation and keeps the others", async () => {
    await signedInWith("forget-memory", "memories", [trips()]);
    await page.getByTestId("vault-conversations").getByRole("button", { name: /cooking question 1/ }).click();
    const shown = page.getByTestId("memories-shown");
    await expect.poll(() => shown.locator(".memory-title").count()).toBe(3);
    const first = (await shown.locator(".memory-snippet").first().textContent())!;

    await shown.getByRole("button", { name: "Forget this memory of cooking question 1" }).first().click();
    await shown.getByRole("button", { name: "Forget", exact: true }).click();

    await expect.poll(() => page.getByTestId("forget-notice").textContent(), { timeout: 60_000 }).toBe("The memory is forgotten: 1 memory removed from your vault, search and chat.");
    await expect.poll(() => shown.locator(".memory-snippet").allTextContents()).toHaveLength(2);
    expect(await shown.locator(".memory-snippet").allTextContents()).not.toContain(first);
  });
});

describe("the upload history", () => {
  it("dismisses a failed upload on the server, and forgets what a complete one added", async () => {
    const { api, token } = await signedInWith("forget-upload", "vault", [trips(), ["letter.json", Buffer.from("Dear diary, this is not an export.")]]);
    const failed = uploadRow(page, "letter.json");
    await failed.and(page.locator('[data-state="failed"]')).waitFor();

    await failed.getByRole("button", { name: "Dismiss letter.json" }).click();

    await expect.poll(() => uploadRow(page, "letter.json").count()).toBe(0);
    const { body: status } = await api.route("GET /api/personal/vault/status", { token });
    expect(status.uploads.map((upload) => upload.filename), "gone from the server's history, not just this browser").toEqual(["conversations.json"]);
    expect(await page.getByTestId("stat-memories").textContent()).toBe("7");

    const complete = uploadRow(page, "conversations.json");
    await complete.getByRole("button", { name: "Forget the memories conversations.json added" }).click();
    expect(await complete.locator(".confirm").textContent()).toContain("Forget what conversations.json added, everywhere?");
    await expectNoSeriousViolations(page, "forgetting an upload, asked");
    await complete.getByRole("button", { name: "Forget", exact: true }).click();

    await expect.poll(() => page.getByTestId("upload-notice").textContent(), { timeout: 60_000 }).toBe(
      "What conversations.json added is forgotten: 7 memories removed from your vault, search and chat.",
    );
    await expect.poll(() => page.getByTestId("stat-memories").textContent()).toBe("0");
    // The row says what became of it, and has nothing left to forget.
    await expect.poll(() => complete.getAttribute("data-state")).toBe("forgotten");
    expect(await complete.locator(".upload-status").textContent()).toBe("Forgotten");
    expect(await complete.locator(".upload-outcome").textContent()).toMatch(/^7 memories forgotten .+ \(7 were added\)$/);
    expect(await complete.getByRole("button", { name: /^Forget/ }).count()).toBe(0);
    await saveScreenshot(page, "forget-upload-desktop-light");
  });

  it("offers to forget an upload made on this visit as soon as it is complete, without a reload", async () => {
    await signedInWith("forget-live-upload", "vault", []);
    await fileInput(page).setInputFiles(await session.writeTemp("conversations.json", trips()[1]));
    const row = page.locator(".live-uploads .upload").first();
    await expect.poll(() => row.getAttribute("data-state"), { timeout: 60_000 }).toBe("complete");

    await row.getByRole("button", { name: "Forget the memories conversations.json added" }).click();
    await row.getByRole("button", { name: "Forget", exact: true }).click();

    await expect.poll(() => page.getByTestId("upload-notice").textContent(), { timeout: 60_000 }).toBe(
      "What conversations.json added is forgotten: 7 memories removed from your vault, search and chat.",
    );
    await expect.poll(() => row.getAttribute("data-state")).toBe("forgotten");
    expect(await row.locator(".upload-outcome").textContent()).toMatch(/^7 memories forgotten /);
    await expect.poll(() => page.getByTestId("stat-memories").textContent()).toBe("0");
    await saveScreenshot(page, "forget-live-upload-desktop-light");
  });
});
