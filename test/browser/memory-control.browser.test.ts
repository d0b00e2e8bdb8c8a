import { readFile } from "node:fs/promises";
import path from "node:path";
import type { BrowserContextOptions, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import yauzl from "yauzl";
import { apiClient, uniqueEmail } from "../support/api";
import { chatgptExport, conversations } from "../support/exports";
import { uploadBytes, waitForUpload } from "../support/ingest";
import { countAnswersRead, expectNoSeriousViolations, holdRequests, saveScreenshot, submitAccountForm, VIEWPORTS } from "./support/browser";
import { useBrowserSession } from "./support/session";

const session = useBrowserSession({ label: "control" });
let page: Page;

const PASSWORD = "a long enough passphrase";

/** Three subjects, so the vault has several topics of different sizes. */
const EXPORT = chatgptExport([
  ...conversations("garden", 8, 3, "gardening"),
  ...conversations("kitchen", 5, 3, "cooking"),
  ...conversations("money", 3, 2, "budgeting"),
]);

/**
 * A person whose vault holds {@link EXPORT} (uploaded through the API: the upload screens have their
 * own tests), signed in in a fresh browser profile, on the given screen.
 */
async function signedInWithVault(label: string, screen: string, options: BrowserContextOptions = {}) {
  const api = apiClient(session.stack.apiUrl);
  const email = uniqueEmail(label);
  const { body } = await api.signUp(email, PASSWORD);
  expect((await waitForUpload(api, body.token, await uploadBytes(api, body.token, "conversations.json", EXPORT))).status).toBe("complete");
  page = await session.openSignedIn(body.token, screen, options);
  return { api, token: body.token, email };
}

const shot = (name: string) => saveScreenshot(page, name);

/** The names of the files in a zip. */
function zipEntries(file: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error);
      const names: string[] = [];
      zip.on("entry", (entry: yauzl.Entry) => {
        names.push(entry.fileName);
        zip.readEntry();
      });
      zip.on("end", () => resolve(names));
      zip.on("error", reject);
      zip.readEntry();
    });
  });
}

describe("topics", () => {
  it("draws a box per topic sized by its memories, and lists a topic's memories when it is chosen", async () => {
    const { api, token } = await signedInWithVault("topics", "topics");
    const { body: topics } = await api.route("GET /api/personal/vault/topics", { token });
    expect(topics.topics.length, "the export makes several topics").toBeGreaterThan(1);

    const boxes = page.getByTestId("topic-map").getByRole("button");
    await expect.poll(() => boxes.count()).toBe(topics.topics.length);

    // Each box is named by its topic and count, and the bigger topic has the bigger box.
    const drawn = await boxes.evaluateAll((buttons) =>
      buttons.map((button) => ({ name: button.getAttribute("title") ?? "", area: button.getBoundingClientRect().width * button.getBoundingClientRect().height })),
    );
    const bySize = [...topics.topics].sort((a, b) => b.size - a.size);
    expect(drawn.map((box) => box.name)).toEqual(bySize.map((topic) => `${topic.label} · ${topic.size} ${topic.size === 1 ? "memory" : "memories"}`));
    for (let index = 1; index < drawn.length; index++) {
      if (bySize[index]!.size < bySize[index - 1]!.size) expect(drawn[index]!.area, `box ${index} is smaller than box ${index - 1}`).toBeLessThan(drawn[index - 1]!.area);
    }
    await expectNoSeriousViolations(page, "topics");
    await shot("topics-desktop-light");

    const chosen = bySize[0]!;
    await boxes.first().click();

    const detail = page.getByTestId("topic-detail");
    await detail.getByRole("heading", { name: chosen.label }).waitFor();
    expect(await boxes.first().getAttribute("aria-pressed")).toBe("true");
    await expect.poll(() => detail.getByRole("status").textContent()).toBe(`${chosen.size} memories, newest first`);
    const { body: members } = await api.route("GET /api/personal/vault/memories", { token, query: { cluster: chosen.id, limit: 100 } });
    const shownTitles = await detail.locator(".memory-title").allTextContents();
    expect(shownTitles.length).toBe(Math.min(20, chosen.size));
    expect(shownTitles).toEqual(members.items.slice(0, 20).map((memory) => memory.conversation_title));
    await expectNoSeriousViolations(page, "a topic's memories");
  });

  it("says what to do when the vault has no topics yet", async () => {
    const email = uniqueEmail("no-topics");
    page = await session.open();
    await submitAccountForm(page, "signup", email, PASSWORD);
    await page.getByTestId("vault-screen").waitFor();

    await page.getByRole("link", { name: "Topics" }).click();

    await expect.poll(() => page.getByTestId("topics-empty").textContent()).toContain("add an export on the Vault screen");
  });
});

describe("memories", () => {
  it("lists the conversations with their counts, opens one, and filters by where they came from", async () => {
    await signedInWithVault("memories", "memories");
    const list = page.getByTestId("vault-conversations");
    await list.getByRole("button", { name: /cooking question 2/ }).waitFor();
    expect(await list.getByRole("button").count(), "All memories, then 16 conversations").toBe(17);
    expect(await list.getByRole("button", { name: /budgeting question 0/ }).textContent()).toContain("ChatGPT · 2 memories");

    await list.getByRole("button", { name: /cooking question 2/ }).click();

    const shown = page.getByTestId("memories-shown");
    await shown.getByRole("heading", { name: "cooking question 2", level: 2 }).waitFor();
    await expect.poll(() => shown.locator(".memory-title").allTextContents()).toEqual(["cooking question 2", "cooking question 2", "cooking question 2"]);
    await expectNoSeriousViolations(page, "memories");
    await shot("memories-desktop-light");

    await page.getByLabel("From").selectOption("anthropic");

    await expect.poll(() => page.getByTestId("memories-screen").locator(".empty").textContent()).toBe("Nothing from Claude in your vault.");
  });

  it("keeps showing the conversation chosen while the list of every memory was still on its way", async () => {
    await signedInWithVault("memories-order", "memories");
    const isWholeList = (url: URL) => url.pathname === "/api/personal/vault/memories" && !url.searchParams.has("conversation_id");
    // The list of every memory (asked for as the screen opens) answers only once the chosen conversation's has.
    const wholeList = await holdRequests(page, isWholeList);
    const wholeListsRead = await countAnswersRead(page, "/api/personal/vault/memories", { without: "conversation_id" });
    const wholeListAsked = page.waitForRequest((request) => isWholeList(new URL(request.url())));
    await page.reload();
    await wholeListAsked;

    await page.getByTestId("vault-conversations").getByRole("button", { name: /cooking question 2/ }).click();
    const shown = page.getByTestId("memories-shown");
    const titles = () => shown.locator(".memory-title").allTextContents();
    await expect.poll(titles).toEqual(["cooking question 2", "cooking question 2", "cooking question 2"]);
    await wholeList.releaseAll();
    await wholeListsRead.waitBeyond(0);

    expect(await titles(), "the answer that came last was asked for first").toEqual(["cooking question 2", "cooking question 2", "cooking question 2"]);
    expect(await shown.getByTestId("memory-list").getByRole("status").textContent()).toBe("3 memories, newest first");
  });
});

describe("your data, in Settings", () => {
  it("exports the vault as a zip that downloads", async () => {
    await signedInWithVault("export", "settings");
    const data = page.getByTestId("vault-data");

    const [download] = await Promise.all([page.waitForEvent("download"), data.getByRole("button", { name: "Export vault" }).click()]);

    const file = path.join(session.dir, `export-${Date.now()}.zip`);
    await download.saveAs(file);
    expect(download.suggestedFilename()).toMatch(/\.zip$/);
    expect((await readFile(file)).subarray(0, 2).toString()).toBe("PK");
    expect(await zipEntries(file)).toEqual(expect.arrayContaining(["memories.md", "nodes.json"]));
    await data.getByTestId("export-ready").waitFor();
    await expectNoSeriousViolations(page, "settings after an export");
  });

  it("empties the vault with the password and keeps the account", async () => {
    const { api, email } = await signedInWithVault("empty", "settings");
    const emptying = page.getByTestId("empty-vault");

    await emptying.getByRole("button", { name: "Empty vault…" }).click();
    await page.getByLabel("Type your password to empty your vault").fill(PASSWORD);
    await expectNoSeriousViolations(page, "emptying the vault, asked");
    await emptying.getByRole("button", { name: "Delete every memory" }).click();

    await expect.poll(() => page.getByTestId("empty-vault-status").textContent()).toBe("Your vault is empty. Your account, plan and tokens stay.");
    await expect.poll(() => page.getByTestId("vault-data").getByRole("button", { name: "Export vault" }).isDisabled(), { message: "nothing left to export" }).toBe(true);
    await page.getByRole("link", { name: "Vault", exact: true }).click();
    await expect.poll(() => page.getByTestId("stat-memories").textContent()).toBe("0");
    const { body: session } = await api.logIn(email, PASSWORD);
    expect((await api.route("GET /api/personal/vault/topics", { token: session.token })).body.topics).toEqual([]);
  });

  it("deletes the account only with the right password, and logging in then fails", async () => {
    const { api, email } = await signedInWithVault("delete", "settings");
    const data = page.getByTestId("vault-data");
    await data.getByRole("button", { name: "Delete account…" }).click();
    await page.getByLabel("Type your password to delete your account").fill("not my password");
    await data.getByRole("button", { name: "Delete my account and vault" }).click();
    await expect.poll(() => data.getByRole("alert").textContent()).toMatch(/password/i);
    expect(await page.getByTestId("vault-screen").count(), "still signed in").toBe(1);
    await expectNoSeriousViolations(page, "deleting the account, wrong password");

    await page.getByLabel("Type your password to delete your account").fill(PASSWORD);
    await data.getByRole("button", { name: "Delete my account and vault" }).click();

    await page.getByTestId("auth-screen").waitFor();
    // Said as news, not as an error.
    expect(await page.locator("#auth-notice").textContent()).toBe("Your account and everything in your vault were deleted.");
    expect(await page.locator("#auth-error").count()).toBe(0);
    await saveScreenshot(page, "account-deleted-desktop-light");
    expect((await api.logIn(email, PASSWORD)).status, "the API no longer knows the account").toBe(401);
    await submitAccountForm(page, "login", email, PASSWORD);
    await expect.poll(() => page.locator("#auth-error").textContent()).toBe("The e-mail address or password is not right.");
  });
});

describe.each([
  { name: "desktop-dark", options: { viewport: VIEWPORTS.desktop, colorScheme: "dark" } },
  { name: "narrow-light", options: { viewport: VIEWPORTS.narrow, colorScheme: "light", isMobile: true, hasTouch: true } },
  { name: "narrow-dark", options: { viewport: VIEWPORTS.narrow, colorScheme: "dark", isMobile: true, hasTouch: true } },
] satisfies Array<{ name: string; options: BrowserContextOptions }>)("topics, memories and settings, $name", ({ name, options }) => {
  it("fit the window without serious accessibility violations", async () => {
    await signedInWithVault(`control-${name}`, "topics", options);
    const fits = () => page.evaluate(`document.documentElement.scrollWidth <= ${options.viewport.width}`);

    await page.getByTestId("topic-map").getByRole("button").first().click();
    await page.getByTestId("topic-detail").locator(".memory-title").first().waitFor();
    expect(await fits(), "topics fit").toBe(true);
    await expectNoSeriousViolations(page, `topics (${name})`);
    await shot(`topics-${name}`);

    await page.getByRole("link", { name: "Memories" }).click();
    await page.getByTestId("memories-shown").locator(".memory-title").first().waitFor();
    expect(await fits(), "memories fit").toBe(true);
    await expectNoSeriousViolations(page, `memories (${name})`);
    await shot(`memories-${name}`);

    await page.getByRole("link", { name: "Settings" }).click();
    await page.getByTestId("vault-data").getByRole("button", { name: "Delete account…" }).click();
    expect(await fits(), "settings fit").toBe(true);
    await expectNoSeriousViolations(page, `settings, your data (${name})`);
    await shot(`settings-data-${name}`);
  });
});
