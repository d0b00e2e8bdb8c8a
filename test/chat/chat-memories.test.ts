import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { resetConfig } from "../../lib/config";
import { fillerConversations, importConversations, newUser, type TestUser } from "../search/support";
import { useTestStack } from "../support/stack";
import { useChatStandIn } from "./support/stand-in";

const run = promisify(execFile);
const vaultCli = path.resolve(import.meta.dirname, "../../cli/vault.js");

const model = useChatStandIn();
const ctx = useTestStack();

const PLANTED = "The spare key to the allotment shed is taped under the third blue flowerpot.";
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  alice = await newUser(ctx.api, ctx.db, "alice-memory", "free");
  bob = await newUser(ctx.api, ctx.db, "bob-memory", "free");
  await importConversations(ctx.api, alice, [
    ...fillerConversations("alice", 12, "gardening"),
    { id: "alice-shed", title: "Allotment shed", turns: [["Where did I hide the spare key for the allotment shed?", PLANTED]] },
  ]);
  await importConversations(ctx.api, bob, [
    ...fillerConversations("bob", 12, "gardening"),
    { id: "bob-shed", title: "Bob's shed", turns: [["Where is the key to my shed?", "Bob keeps the shed key on the hook by the red door."]] },
  ]);
}, 180_000);

const chat = (user: TestUser, message: string) => ctx.api.call("POST", "/api/personal/chat", { token: user.token, body: { message } });

describe("memories in the chat", () => {
  it("finds the planted fact in the asker's vault and gives it to the model with its date, source and title", async () => {
    const answer = await chat(alice, "Where is the spare key to the allotment shed?");

    expect(answer.status).toBe(200);
    const used = answer.body.memories_used as Array<{ id: string; conversation_title: string; source: string; created_at: string; snippet: string; score: number }>;
    const planted = used.find((memory) => memory.conversation_title === "Allotment shed");
    expect(planted, JSON.stringify(used)).toMatchObject({ source: "openai", created_at: expect.stringMatching(/^20\d\d-/), score: expect.any(Number) });
    expect(used.length).toBeLessThanOrEqual(8);
    const system = model.stats().lastRequest!.messages[0]!.content;
    expect(system).toMatch(/\[\d+\] 20\d\d-\d\d-\d\d · ChatGPT · "Allotment shed"\nUser: Where did I hide the spare key/);
    expect(system).toContain(PLANTED);
  });

  it("never uses another person's memories, even when they match the question better", async () => {
    const answer = await chat(bob, "Where did I hide the spare key for the allotment shed under the blue flowerpot?");

    expect(answer.status).toBe(200);
    const titles = (answer.body.memories_used as Array<{ conversation_title: string }>).map((memory) => memory.conversation_title);
    expect(titles).not.toContain("Allotment shed");
    expect(titles.every((title) => title === "Bob's shed" || /^gardening notes/.test(title))).toBe(true);
    expect(JSON.stringify(model.stats().lastRequest)).not.toContain("third blue flowerpot");
    expect(JSON.stringify(answer.body)).not.toContain("third blue flowerpot");
  });

  it("gives a premium plan's 2m context window more memories than a free plan's 1m", async () => {
    const free = await chat(alice, "Tell me about gardening orders and deliveries");
    await ctx.db.query("UPDATE personal.user_tiers SET tier = 'premium' WHERE user_id = $1", [alice.userId]);
    try {
      const premium = await chat(alice, "Tell me about gardening orders and deliveries");

      expect(free.body.memories_used).toHaveLength(8);
      expect(premium.body.memories_used.length).toBeGreaterThan(8);
    } finally {
      await ctx.db.query("UPDATE personal.user_tiers SET tier = 'free' WHERE user_id = $1", [alice.userId]);
    }
  });
});

describe("without a model", () => {
  it("quotes the planted fact with its date and says plainly that no model is configured, in the CLI too", async () => {
    delete process.env.CHAT_URL;
    delete process.env.CHAT_MODEL;
    resetConfig();
    try {
      const { stdout } = await run(process.execPath, [vaultCli, "chat", "Where is the spare key to the allotment shed?", "--email", alice.email, "--password", "a long enough passphrase", "--api", ctx.stack.apiUrl]);

      expect(stdout).toMatch(/^No chat model is configured on this server/);
      expect(stdout).toMatch(/\[\d\] 20\d\d-\d\d-\d\d · ChatGPT · "Allotment shed"\n“User: Where did I hide the spare key/);
      expect(stdout).toContain("third blue flowerpot");
      expect(stdout).toMatch(/Memories used \(\d\):\n {2}\[1\] 20\d\d-/);
      expect(stdout).toMatch(/\d+ of 20 messages left today\./);
      expect(model.stats().requests).toBe(0);
    } finally {
      Object.assign(process.env, { CHAT_URL: `${model.url}/v1`, CHAT_MODEL: "stand-in-chat" });
      resetConfig();
    }
  });
});
