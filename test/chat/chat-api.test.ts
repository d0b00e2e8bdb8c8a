import { describe, expect, it } from "vitest";
import { uniqueEmail } from "../support/api";
import { useTestStack } from "../support/stack";
import { readEventStream } from "./support/event-stream";
import { useChatStandIn } from "./support/stand-in";

const model = useChatStandIn({ CHAT_API_KEY: "sk-stand-in" });
const ctx = useTestStack({ consumers: false });

async function newUser(label = "chat") {
  const { body } = await ctx.api.signUp(uniqueEmail(label));
  return { userId: body.user_id as string, token: body.token as string };
}

const chat = (token: string, body: unknown, headers: Record<string, string> = {}) => ctx.api.call("POST", "/api/personal/chat", { token, body, headers });
const usedToday = async (token: string) => (await ctx.api.call("GET", "/api/personal/usage", { token })).body.messages_used as number;

describe("POST /api/personal/chat", () => {
  it("answers with the reply, the memories used and the plan's usage after the message", async () => {
    const { token } = await newUser();

    const answer = await chat(token, { message: "What did I plan for my holiday?" });

    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      conversation_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      reply: expect.stringContaining("You asked: What did I plan for my holiday?"),
      memories_used: [],
      usage: expect.objectContaining({ tier: "free", messages_used: 1, messages_remaining: 19 }),
      model: "stand-in-chat",
    });
    expect(model.stats().lastRequest).toMatchObject({ model: "stand-in-chat", authorization: "Bearer sk-stand-in", stream: false });
  });

  it("puts the last turns of the conversation in the prompt, and keeps the history", async () => {
    const { token } = await newUser();
    const first = await chat(token, { message: "My cat is called Miso." });
    const conversationId = first.body.conversation_id;

    const second = await chat(token, { message: "What is my cat called?", conversation_id: conversationId });

    expect(second.body.conversation_id).toBe(conversationId);
    const sent = model.stats().lastRequest!.messages;
    expect(sent.map((message) => message.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(sent[1]!.content).toBe("My cat is called Miso.");
    expect(sent[2]!.content).toBe(first.body.reply);
    const stored = await ctx.api.call("GET", `/api/personal/chat/conversations/${conversationId}`, { token });
    expect(stored.body).toMatchObject({ id: conversationId, title: "My cat is called Miso." });
    expect(stored.body.messages.map((message: { role: string; content: string }) => [message.role, message.content])).toEqual([
      ["user", "My cat is called Miso."],
      ["assistant", first.body.reply],
      ["user", "What is my cat called?"],
      ["assistant", second.body.reply],
    ]);
    expect(stored.body.messages[1]).toMatchObject({ model: "stand-in-chat", memories_used: [] });
  });

  it("sends only the last six messages of a long conversation", async () => {
    const { token } = await newUser();
    let conversationId: string | undefined;
    for (let turn = 1; turn <= 5; turn++) {
      conversationId = (await chat(token, { message: `Turn number ${turn}`, ...(conversationId ? { conversation_id: conversationId } : {}) })).body.conversation_id;
    }

    const sent = model.stats().lastRequest!.messages;

    expect(sent).toHaveLength(1 + 6 + 1);
    expect(sent[1]!.content).toBe("Turn number 2");
    expect(sent.at(-1)!.content).toBe("Turn number 5");
  });

  it("streams the answer as server-sent events when asked, ending with the same answer as JSON", async () => {
    const { token } = await newUser();

    const response = await fetch(`${ctx.stack.apiUrl}/api/personal/chat`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ message: "Stream me a reply about the sea" }),
    });
    const events = await readEventStream(response);

    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(events[0]).toEqual({ event: "start", data: { conversation_id: expect.any(String), memories_used: [] } });
    const deltas = events.filter((event) => event.event === "delta").map((event) => event.data.text);
    expect(deltas.length).toBeGreaterThan(3);
    const done = events.at(-1)!;
    expect(done.event).toBe("done");
    expect(done.data).toMatchObject({ conversation_id: events[0]!.data.conversation_id, reply: deltas.join(""), usage: { messages_used: 1 } });
    expect(model.stats().lastRequest?.stream).toBe(true);
  });

  it("gives the slot back and saves nothing when the model fails", async () => {
    const { token } = await newUser();
    await chat(token, { message: "One that works" });
    model.setBehaviour({ script: ["server-error", "server-error", "server-error"] });

    const failed = await chat(token, { message: "One that fails" });

    expect(failed.status).toBe(503);
    expect(failed.body).toEqual({ error: "chat_model_unavailable", message: expect.stringContaining("not counted") });
    expect(await usedToday(token)).toBe(1);
    const list = await ctx.api.call("GET", "/api/personal/chat/conversations", { token });
    expect(list.body.conversations).toHaveLength(1);
    expect(list.body.conversations[0]).toMatchObject({ title: "One that works", message_count: 2 });
  });

  it("gives the slot back when a streamed reply breaks off, and says so in the stream", async () => {
    const { token } = await newUser();
    model.setBehaviour({ script: ["cut"] });

    const response = await fetch(`${ctx.stack.apiUrl}/api/personal/chat`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ message: "Tell me a long story about ships and the sea" }),
    });
    const events = await readEventStream(response);

    expect(events.at(-1)).toEqual({ event: "error", data: { error: "chat_model_unavailable", message: expect.stringContaining("not counted") } });
    expect(await usedToday(token)).toBe(0);
    expect((await ctx.api.call("GET", "/api/personal/chat/conversations", { token })).body.conversations).toEqual([]);
  });

  it("refuses an empty or oversized message with 400, without counting it", async () => {
    const { token } = await newUser();

    const empty = await chat(token, { message: "   " });
    const huge = await chat(token, { message: "x".repeat(8_001) });

    expect([empty.status, huge.status]).toEqual([400, 400]);
    expect(empty.body.message).toMatch(/Type a message/);
    expect(await usedToday(token)).toBe(0);
  });
});

describe("the daily limit, through the chat", () => {
  it("answers exactly 20 of 100 simultaneous messages from a free user; the other 80 get 429 daily_limit", async () => {
    const { token } = await newUser("burst");

    const answers = await Promise.all(Array.from({ length: 100 }, (_, index) => chat(token, { message: `Message ${index}` })));

    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(20);
    const refused = answers.filter((answer) => answer.status === 429);
    expect(refused).toHaveLength(80);
    expect(refused[0]!.body).toEqual({
      error: "daily_limit",
      message: expect.stringContaining("20 messages"),
      messages_used: 20,
      messages_limit: 20,
      resets_at: expect.stringMatching(/T00:00:00\.000Z$/),
    });
    expect(Number(refused[0]!.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(model.stats().requests).toBe(20);
    expect(await usedToday(token)).toBe(20);
  });

  it("answers all 100 simultaneous messages from a premium user", async () => {
    const { userId, token } = await newUser("burst-premium");
    await ctx.db.query("UPDATE personal.user_tiers SET tier = 'premium' WHERE user_id = $1", [userId]);

    const answers = await Promise.all(Array.from({ length: 100 }, (_, index) => chat(token, { message: `Message ${index}` })));

    expect(answers.map((answer) => answer.status)).toEqual(Array(100).fill(200));
    expect(await usedToday(token)).toBe(100);
  });
});

describe("chat history", () => {
  it("lists a person's conversations latest first, and deletes one with its messages", async () => {
    const { token } = await newUser();
    const older = (await chat(token, { message: "First conversation" })).body.conversation_id;
    const newer = (await chat(token, { message: "Second conversation" })).body.conversation_id;

    const list = await ctx.api.call("GET", "/api/personal/chat/conversations", { token });
    expect(list.body.conversations.map((conversation: { id: string }) => conversation.id)).toEqual([newer, older]);

    expect((await ctx.api.call("DELETE", `/api/personal/chat/conversations/${older}`, { token })).status).toBe(204);
    expect((await ctx.api.call("GET", `/api/personal/chat/conversations/${older}`, { token })).status).toBe(404);
    const left = await ctx.db.query("SELECT count(*)::int AS n FROM personal.chat_messages WHERE conversation_id = $1", [older]);
    expect(left.rows[0].n).toBe(0);
  });

  it("keeps each person's conversations their own: another's is not found, not listed, not continued", async () => {
    const alice = await newUser("alice");
    const bob = await newUser("bob");
    const secret = await chat(alice.token, { message: "My bank PIN hint is the old lighthouse" });
    const id = secret.body.conversation_id;

    const read = await ctx.api.call("GET", `/api/personal/chat/conversations/${id}`, { token: bob.token });
    const removed = await ctx.api.call("DELETE", `/api/personal/chat/conversations/${id}`, { token: bob.token });
    const continued = await chat(bob.token, { message: "What did I just say?", conversation_id: id });
    const listed = await ctx.api.call("GET", "/api/personal/chat/conversations", { token: bob.token });

    expect([read.status, removed.status, continued.status]).toEqual([404, 404, 404]);
    expect(read.body).toEqual(continued.body);
    expect(listed.body.conversations).toEqual([]);
    expect(JSON.stringify(model.requests())).not.toMatch(/lighthouse.*What did I just say|What did I just say.*lighthouse/);
    expect(await usedToday(bob.token)).toBe(0);
    const still = await ctx.api.call("GET", `/api/personal/chat/conversations/${id}`, { token: alice.token });
    expect(still.body.messages).toHaveLength(2);
  });
});
