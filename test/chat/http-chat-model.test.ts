import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ChatModelError, type ChatRequest } from "../../lib/chat/chat-model";
import { createHttpChatModel } from "../../lib/chat/http-chat-model";
import { defaultChatStandInBehaviour, startChatStandIn, type ChatStandIn } from "../../local/chat-stand-in";

let standIn: ChatStandIn;
const models: Array<{ close(): Promise<void> }> = [];
beforeAll(async () => {
  standIn = await startChatStandIn();
});
afterAll(async () => {
  await Promise.all(models.map((model) => model.close()));
  await standIn?.close();
});
afterEach(() => {
  standIn.setBehaviour({ ...defaultChatStandInBehaviour });
  standIn.resetStats();
});

function model(options: { timeoutMs?: number; apiKey?: string } = {}) {
  const created = createHttpChatModel({ baseUrl: `${standIn.url}/v1`, model: "stand-in-1", retry: { baseDelayMs: 5, maxDelayMs: 20 }, random: () => 0.5, ...options });
  models.push(created);
  return created;
}

const request = (question: string, onDelta?: (text: string) => void): ChatRequest => ({
  messages: [
    { role: "system", content: "Memories:\n\n[1] 2024-03-05 · ChatGPT · \"Lisbon\"\nUser: where?" },
    { role: "user", content: question },
  ],
  memories: [],
  question,
  ...(onDelta ? { onDelta } : {}),
});

describe("the chat-completions client", () => {
  it("sends the model, the messages and the key, and returns the whole reply", async () => {
    const answer = await model({ apiKey: "sk-test" }).reply(request("Where did I go in March?"));

    expect(answer.reply).toBe('You asked: Where did I go in March? I was given 1 memories; the first is [1] 2024-03-05 · ChatGPT · "Lisbon".');
    expect(answer.tokens).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) });
    expect(standIn.stats().lastRequest).toMatchObject({ model: "stand-in-1", stream: false, authorization: "Bearer sk-test" });
  });

  it("streams the reply piece by piece, and the pieces make the reply", async () => {
    const pieces: string[] = [];

    const answer = await model().reply(request("Stream it, please", (text) => pieces.push(text)));

    expect(pieces.length).toBeGreaterThan(3);
    expect(pieces.join("")).toBe(answer.reply);
    expect(answer.reply).toMatch(/^You asked: Stream it, please/);
    expect(standIn.stats().lastRequest?.stream).toBe(true);
  });

  it("retries a 500 and a 429, waiting as long as Retry-After says", async () => {
    standIn.setBehaviour({ script: ["server-error", "rate-limit"], retryAfterSeconds: 1 });
    const started = performance.now();

    const answer = await model().reply(request("Again?"));

    expect(answer.reply).toMatch(/^You asked: Again\?/);
    expect(standIn.stats().outcomes).toMatchObject({ "server-error": 1, "rate-limit": 1, ok: 1 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(1_000);
  });

  it("gives up after three failed attempts, with an error the person may read", async () => {
    standIn.setBehaviour({ script: ["server-error", "server-error", "server-error", "server-error"] });

    const failure = await model().reply(request("Anyone there?")).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ChatModelError);
    expect(failure).toMatchObject({ code: "chat_model_unavailable", status: 503, expose: true, details: { attempts: 3, httpStatus: 500 } });
    expect(standIn.stats().outcomes["server-error"]).toBe(3);
  });

  it("does not retry a request the server rejects", async () => {
    standIn.setBehaviour({ script: ["bad-request"] });

    await expect(model().reply(request("Bad?"))).rejects.toMatchObject({ code: "chat_model_rejected", status: 502 });
    expect(standIn.stats().outcomes).toMatchObject({ "bad-request": 1, ok: 0 });
  });

  it("does not retry a stream cut off half-way, so nothing is said twice", async () => {
    standIn.setBehaviour({ script: ["cut"] });
    const pieces: string[] = [];

    const failure = await model().reply(request("Tell me a long story about the sea", (text) => pieces.push(text))).catch((error: unknown) => error);

    expect(failure).toMatchObject({ code: "chat_model_unavailable" });
    expect(pieces.length).toBeGreaterThan(0);
    expect(standIn.stats().outcomes).toMatchObject({ cut: 1, ok: 0 });
  });

  it("times an attempt out when the server never answers, and tries again", async () => {
    standIn.setBehaviour({ script: ["hang"] });

    const answer = await model({ timeoutMs: 300 }).reply(request("Hello?"));

    expect(answer.reply).toMatch(/^You asked: Hello\?/);
    expect(standIn.stats().outcomes).toMatchObject({ hang: 1, ok: 1 });
  });

  it("stops at the caller's deadline with the same readable error", async () => {
    standIn.setBehaviour({ latencyMs: 2_000 });

    const failure = await model()
      .reply({ ...request("Slow?"), signal: AbortSignal.timeout(200) })
      .catch((error: unknown) => error);

    expect(failure).toMatchObject({ code: "chat_model_unavailable", details: { reason: "the request's deadline passed" } });
  });
});
