import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Page, Request } from "playwright-core";
import { describe, expect, it } from "vitest";
import { generateChatGptExport } from "../../bench/generate-export";
import { apiClient, uniqueEmail } from "../support/api";
import { chatgptExport, conversations } from "../support/exports";
import { uploadBytes, waitForUpload } from "../support/ingest";
import { countAnswersRead, fileInput, holdRequests, signUp, statusHistory, uploadRow } from "./support/browser";
import { useBrowserSession } from "./support/session";

const session = useBrowserSession({ label: "uploads" });
let page: Page;

const MB = 1024 * 1024;
/** Long enough for a 12 MB export to be read, embedded and merged on a busy 2-core machine. */
const PIPELINE_TIMEOUT = 90_000;

/** A new person, signed up through the form, looking at their empty vault. */
async function signedIn() {
  page = await session.open();
  await signUp(page, uniqueEmail("uploads"));
}

/** Waits until the upload's row has finished (complete or failed) and returns its state. */
async function settled(filename: string, timeout = 30_000): Promise<string> {
  const row = uploadRow(page, filename);
  await row.and(page.locator('[data-state="complete"], [data-state="failed"]')).waitFor({ timeout });
  return (await row.getAttribute("data-state"))!;
}

const text = (testId: string) => () => page.getByTestId(testId).textContent();

describe("uploading an export", () => {
  it("shows the upload's progress, then the memories it added, and updates the vault", async () => {
    await signedIn();
    const file = await session.writeTemp("conversations.json", chatgptExport(conversations("first", 3)));

    await fileInput(page).setInputFiles(file);

    expect(await settled("conversations.json")).toBe("complete");
    const row = uploadRow(page, "conversations.json");
    expect(await row.locator(".upload-outcome").textContent()).toBe("9 memories added, 0 already in your vault");
    expect(await row.locator(".upload-meta").textContent()).toMatch(/^ChatGPT · /);
    const shown = await statusHistory(page);
    expect(shown.at(-1)).toBe("Complete");
    expect(shown.some((status) => /^(Uploading|Sent|Queued|Reading|Indexing|Adding)/.test(status)), `statuses shown: ${shown.join(" | ")}`).toBe(true);
    await expect.poll(text("stat-memories")).toBe("9");
    await expect.poll(text("vault-status")).toBe("Ready");
    await expect.poll(text("upload-announcer")).toContain("is complete: 9 memories added");
    expect(await page.getByTestId("embedder-line").textContent()).toContain("offline test embedder (local-hash-v1)");
    await mkdir("test-results", { recursive: true });
    await page.screenshot({ path: "test-results/vault-after-upload.png", fullPage: true });
  });

  it("says Ready only over the vault's figures read after the upload completed", async () => {
    await signedIn();
    await expect.poll(text("vault-status")).toBe("Empty");
    // From here on the vault's status answers only when the test says so.
    const status = await holdRequests(page, (url) => url.pathname === "/api/personal/vault/status");
    const file = await session.writeTemp("conversations.json", chatgptExport(conversations("figures", 2)));

    await fileInput(page).setInputFiles(file);

    expect(await settled("conversations.json")).toBe("complete");
    expect(await page.getByTestId("vault-status").textContent(), "the figures read before the upload say nothing of it").toBe("Adding memories");
    await status.releaseAll();
    await expect.poll(text("vault-status")).toBe("Ready");
    expect(await page.getByTestId("stat-memories").textContent()).toBe("6");
  });

  it("waits for the newest reading of the vault's figures when another was asked for meanwhile", async () => {
    // A failed upload in the history, to dismiss while the figures read after the next upload are on their way.
    const api = apiClient(session.stack.apiUrl);
    const { body } = await api.signUp(uniqueEmail("uploads-newest"));
    expect((await waitForUpload(api, body.token, await uploadBytes(api, body.token, "letter.json", Buffer.from("Dear diary, this is not an export.")))).status).toBe("failed");
    page = await session.openSignedIn(body.token, "vault");
    const statusReads = await countAnswersRead(page, "/api/personal/vault/status");
    await page.reload();
    const failed = uploadRow(page, "letter.json");
    await failed.and(page.locator('[data-state="failed"]')).waitFor();
    const held = (await holdRequests(page, (url) => url.pathname === "/api/personal/vault/status")).routes;

    await fileInput(page).setInputFiles(await session.writeTemp("conversations.json", chatgptExport(conversations("newest", 2))));
    expect(await settled("conversations.json")).toBe("complete");
    // The figures read after the upload, then after the dismissal, both held.
    await expect.poll(() => held.length).toBe(1);
    await failed.getByRole("button", { name: "Dismiss letter.json" }).click();
    await expect.poll(() => held.length).toBe(2);
    const reads = await statusReads.count();
    await held[0]!.continue();
    await statusReads.waitBeyond(reads);

    expect(await page.getByTestId("vault-status").textContent(), "the older reading is in, the newer one still on its way").toBe("Adding memories");
    await held[1]!.continue();
    await expect.poll(text("vault-status")).toBe("Ready");
    expect(await page.getByTestId("stat-memories").textContent()).toBe("6");
  });

  it("says the memories are already in the vault when the same export is uploaded again", async () => {
    await signedIn();
    const file = await session.writeTemp("conversations.json", chatgptExport(conversations("again", 2)));
    await fileInput(page).setInputFiles(file);
    expect(await settled("conversations.json")).toBe("complete");

    await fileInput(page).setInputFiles(file);

    // The second upload goes through the whole pipeline: as long as `settled` allows, not a poll's 1 s.
    await expect.poll(() => page.locator('.upload[data-state="complete"]').count(), { timeout: 30_000 }).toBe(2);
    expect(await uploadRow(page, "conversations.json").locator(".upload-outcome").textContent()).toMatch(/^0 memories added, 6 already in your vault/);
    await expect.poll(text("stat-memories")).toBe("6");
  });

  it("uploads an export dropped on the drop zone", async () => {
    await signedIn();
    const dropped = await page.evaluateHandle(`(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([${JSON.stringify(chatgptExport(conversations("dropped", 1)).toString())}], "dropped.json", { type: "application/json" }));
      return transfer;
    })()`);

    await page.getByTestId("dropzone").dispatchEvent("drop", { dataTransfer: dropped });

    expect(await settled("dropped.json")).toBe("complete");
    expect(await uploadRow(page, "dropped.json").locator(".upload-outcome").textContent()).toBe("3 memories added, 0 already in your vault");
  });

  it("sends a 12 MB export in parts and completes it", async () => {
    await signedIn();
    const file = path.join(session.dir, "big-conversations.json");
    const generated = await generateChatGptExport(file, 12 * MB, 11);
    const storePuts: Request[] = [];
    page.on("request", (request) => {
      if (request.method() === "PUT" && request.url().startsWith(session.stack.publicStoreEndpoint)) storePuts.push(request);
    });
    const completion = page.waitForRequest((request) => request.method() === "POST" && /\/vault\/uploads\/[^/]+\/complete$/.test(request.url()));

    await fileInput(page).setInputFiles(file);

    await completion;
    expect(storePuts.length).toBeGreaterThanOrEqual(2);
    expect(storePuts.every((request) => new URL(request.url()).searchParams.has("partNumber"))).toBe(true);
    expect(await settled("big-conversations.json", PIPELINE_TIMEOUT)).toBe("complete");
    const outcome = (await uploadRow(page, "big-conversations.json").locator(".upload-outcome").textContent())!;
    const added = Number(/^([\d,]+) memories added/.exec(outcome)?.[1]?.replaceAll(",", ""));
    expect(added).toBeGreaterThan(generated.conversations);
    await expect.poll(text("stat-memories")).toBe(added.toLocaleString("en"));
  });
});

describe("uploads that fail", () => {
  it("cancels an upload while it is being sent, and the server records it as cancelled", async () => {
    await signedIn();
    const file = path.join(session.dir, "slow-conversations.json");
    await generateChatGptExport(file, 12 * MB, 12);
    const network = await session.context.newCDPSession(page);
    await network.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 512 * 1024 });
    await fileInput(page).setInputFiles(file);
    const row = uploadRow(page, "slow-conversations.json");
    await row.locator(".upload-status", { hasText: "Uploading" }).waitFor();

    await row.getByRole("button", { name: "Cancel uploading slow-conversations.json" }).click();

    expect(await settled("slow-conversations.json")).toBe("failed");
    expect(await row.locator(".upload-error").textContent()).toBe("Upload cancelled.");
    await expect
      .poll(async () => (await (await session.context.request.get(`${session.stack.apiUrl}/api/personal/vault/status`)).json()).uploads[0])
      .toMatchObject({ filename: "slow-conversations.json", status: "failed", error_message: "Upload cancelled." });
  });

  it("shows the server's message for a JSON file that is not a chat export", async () => {
    await signedIn();
    const file = await session.writeTemp("letter.json", "Dear diary, this is not an export.");

    await fileInput(page).setInputFiles(file);

    expect(await settled("letter.json")).toBe("failed");
    expect(await uploadRow(page, "letter.json").locator(".upload-error").textContent()).toMatch(/^This file is not a chat export/);
    expect(await page.getByTestId("stat-memories").textContent()).toBe("0");
  });

  it("shows the server's message for a file that is neither .json nor .zip", async () => {
    await signedIn();
    const file = await session.writeTemp("notes.txt", "Shopping list: bread, honey.");

    await fileInput(page).setInputFiles(file);

    expect(await settled("notes.txt")).toBe("failed");
    expect(await uploadRow(page, "notes.txt").locator(".upload-error").textContent()).toBe(
      "Upload your export's .zip, or its conversations.json (MyActivity.json for Gemini).",
    );
  });
});
