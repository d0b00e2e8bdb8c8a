import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetConfig } from "../../lib/config";
import { startChatStandIn } from "../../local/chat-stand-in";
import { apiClient, uniqueEmail } from "../support/api";
import { chatgptExport, type ConversationSpec } from "../support/exports";
import { startStripeStandIn } from "../support/stripe";
import { expectNoSeriousViolations, fileInput, signUp, uploadRow } from "./support/browser";
import { useBrowserSession } from "./support/session";

const session = useBrowserSession({ label: "chat" });
let stripe: Awaited<ReturnType<typeof startStripeStandIn>>;
let page: Page;

const PASSWORD = "a long enough passphrase";

beforeAll(async () => {
  stripe = await startStripeStandIn();
});

afterAll(async () => {
  await stripe?.close();
});

/** One memory to find: a trip whose exchange names the tram. */
const LISBON: ConversationSpec = {
  id: "lisbon",
  title: "Planning the Lisbon trip",
  startTime: Date.parse("2024-05-01T10:00:00Z") / 1000,
  turns: [["Which tram goes up to the castle in Lisbon?", "Take the yellow tram 28 from Martim Moniz; it climbs past the cathedral to the castle."]],
};

/** A person signed up through the form, with an export in their vault, on the Chat screen. */
async function onChatWithMemories(label: string): Promise<string> {
  page = await session.open();
  const email = uniqueEmail(label);
  await signUp(page, email);
  const file = await session.writeTemp("conversations.json", chatgptExport([LISBON, { id: "soup", title: "Soup", turns: [["How long do lentils cook?", "About 25 minutes."]] }]));
  await fileInput(page).setInputFiles(file);
  await uploadRow(page, "conversations.json").and(page.locator('[data-state="complete"]')).waitFor({ timeout: 60_000 });
  await page.getByRole("link", { name: "Chat" }).click();
  await page.getByRole("heading", { name: "Ask your memory" }).waitFor();
  return email;
}

async function ask(question: string) {
  await page.getByRole("textbox", { name: "Message" }).fill(question);
  await page.getByRole("button", { name: "Send" }).click();
}

/** Sends `count` messages as the same person through the API (a second device, the CLI). */
async function sendElsewhere(email: string, count: number) {
  const api = apiClient(session.stack.apiUrl);
  const { body } = await api.logIn(email, PASSWORD);
  for (let sent = 0; sent < count; sent++) {
    const answer = await api.route("POST /api/personal/chat", { token: body.token, body: { message: `question ${sent} about soup` } });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  }
}

describe("chatting with one's memories", () => {
  it("streams the reply in, cites the memories it used as cards, and opens the whole exchange", async () => {
    await onChatWithMemories("chat");
    await expect.poll(() => page.getByTestId("messages-left").textContent()).toBe("20 of 20 messages left today");

    await ask("Which tram goes to the castle?");

    const answer = page.getByTestId("chat-answer").last();
    await answer.and(page.locator('[aria-busy="false"]')).waitFor();
    expect(await answer.textContent()).toContain("No chat model is configured");
    const card = page.getByTestId("memory-card").filter({ hasText: "Planning the Lisbon trip" }).first();
    expect(await card.textContent()).toMatch(/\[1\] Planning the Lisbon trip/);
    expect(await card.textContent()).toContain("May 1, 2024 · ChatGPT");
    expect(await card.locator("mark").count(), "the snippet marks the words that matched").toBeGreaterThan(0);
    await card.getByRole("button", { name: "Show the whole exchange" }).click();
    await expect.poll(() => card.getByTestId("memory-whole").textContent()).toContain("Take the yellow tram 28 from Martim Moniz");
    expect(await page.getByTestId("messages-left").textContent()).toBe("19 of 20 messages left today");
    await expectNoSeriousViolations(page, "chat with an answer");
  });

  it("shows each streamed piece as it arrives, before the reply is done", async () => {
    await onChatWithMemories("chat-stream");
    // A model that writes slowly, piece by piece, as a hosted one does.
    const model = await startChatStandIn({ chunkDelayMs: 150, reply: () => "Take the yellow tram 28 from Martim Moniz up to the castle [1]." });
    Object.assign(process.env, { CHAT_URL: `${model.url}/v1`, CHAT_MODEL: "stand-in-chat" });
    resetConfig();
    const seen: string[] = [];
    await page.exposeFunction("__sawAnswer", (text: string) => seen.push(text));
    await page.evaluate(`new MutationObserver(() => {
      const answers = document.querySelectorAll('[data-testid="chat-answer"] .message-text');
      const last = answers[answers.length - 1];
      if (last) window.__sawAnswer(last.textContent);
    }).observe(document.body, { subtree: true, childList: true, characterData: true })`);

    try {
      await ask("Which tram goes to the castle?");
      await page.getByTestId("chat-answer").last().and(page.locator('[aria-busy="false"]')).waitFor();
    } finally {
      for (const name of ["CHAT_URL", "CHAT_MODEL"]) delete process.env[name];
      resetConfig();
      await model.close();
    }

    const final = "Take the yellow tram 28 from Martim Moniz up to the castle [1].";
    expect(await page.getByTestId("chat-answer").last().locator(".message-text").textContent()).toBe(final);
    const partial = new Set(seen.map((text) => text.replace(/…$/, "")).filter((text) => text.length > 0 && text !== final && final.startsWith(text)));
    expect(partial.size, `the answer grew piece by piece: ${[...partial].join(" | ")}`).toBeGreaterThan(2);
  });

  it("reopens an earlier conversation from the list, and deletes it", async () => {
    await onChatWithMemories("chat-history");
    await ask("Which tram goes to the castle?");
    await page.getByTestId("chat-answer").last().and(page.locator('[aria-busy="false"]')).waitFor();
    await page.getByTestId("conversation-list").getByRole("button", { name: /^Which tram goes to the castle/ }).waitFor();

    await page.getByRole("button", { name: "New" }).click();
    expect(await page.getByTestId("chat-answer").count()).toBe(0);
    await page.getByTestId("conversation-list").getByRole("button", { name: /^Which tram goes to the castle/ }).click();
    await page.getByRole("heading", { name: "Which tram goes to the castle?" }).waitFor();
    expect(await page.getByTestId("chat-question").textContent()).toContain("Which tram goes to the castle?");
    expect(await page.getByTestId("memory-card").count()).toBeGreaterThan(0);

    await page.getByRole("button", { name: "Delete “Which tram goes to the castle?”" }).click();
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    await page.getByText("Your conversations will be listed here.").waitFor();
    expect(await page.getByTestId("chat-answer").count()).toBe(0);
  });
});

describe("the free plan's daily limit", () => {
  it("refuses message 21 with the reset time and an upgrade button, and gives the message back", async () => {
    const email = await onChatWithMemories("chat-limit");
    await ask("Which tram goes to the castle?");
    await page.getByTestId("chat-answer").last().and(page.locator('[aria-busy="false"]')).waitFor();
    // The answer is marked done on the stream's `done` event; the usage is taken as the stream closes, after it.
    await expect.poll(() => page.getByTestId("messages-left").textContent()).toBe("19 of 20 messages left today");
    // The other 19 of the day from another device: this page still believes 19 are left.
    await sendElsewhere(email, 19);

    await ask("And which tram goes to Belém?");

    const notice = page.getByTestId("daily-limit");
    await notice.waitFor();
    expect(await notice.textContent()).toContain("You have used all 20 of today’s messages.");
    expect(await notice.textContent()).toMatch(/More arrive at \d{1,2}:\d\d( [AP]M)? \(midnight UTC\)/);
    expect(await page.getByRole("textbox", { name: "Message" }).inputValue(), "the refused message is kept").toBe("And which tram goes to Belém?");
    expect(await page.getByRole("textbox", { name: "Message" }).isDisabled()).toBe(true);
    await expect.poll(() => page.getByTestId("messages-left").textContent()).toBe("0 of 20 messages left today");
    expect(await page.getByTestId("chat-answer").count(), "no answer is shown for the refused message").toBe(1);
    await expectNoSeriousViolations(page, "chat at the limit");

    // No Stripe settings on this server: the button says so in the server's words.
    await notice.getByRole("button", { name: /^Upgrade/ }).click();
    await expect.poll(() => notice.getByRole("alert").textContent()).toContain("STRIPE_SECRET_KEY");
  });

  it("sends the upgrade button to Stripe Checkout when the server has Stripe set up", async () => {
    const email = await onChatWithMemories("chat-checkout");
    await sendElsewhere(email, 20);
    await page.reload();
    await page.getByTestId("daily-limit").waitFor();
    Object.assign(process.env, { STRIPE_SECRET_KEY: "sk_test_standin", STRIPE_PREMIUM_PRICE_ID: "price_premium_monthly", STRIPE_API_URL: stripe.url });
    resetConfig();
    // Checkout is Stripe's own page, out of this machine's reach: answer for it.
    await page.route("https://checkout.stripe.com/**", (route) => route.fulfill({ contentType: "text/html", body: "<title>Stripe Checkout</title><h1>Checkout</h1>" }));

    try {
      await page.getByTestId("daily-limit").getByRole("button", { name: /^Upgrade/ }).click();
      await page.waitForURL(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_/);
    } finally {
      for (const name of ["STRIPE_SECRET_KEY", "STRIPE_PREMIUM_PRICE_ID", "STRIPE_API_URL"]) delete process.env[name];
      resetConfig();
    }
    expect(stripe.received.at(-1)?.path).toBe("/v1/checkout/sessions");
  });
});
