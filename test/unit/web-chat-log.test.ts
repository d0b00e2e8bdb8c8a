import { describe, expect, it } from "vitest";
import type { ChatAnswer, MemoryUsed, Usage } from "../../lib/api/contract";
import { applyStreamEvent, limitFromRefusal, limitFromUsage, limitOver, messagesLeftLabel, startExchange, turnsFrom } from "../../web/src/lib/chat-log";

function usage(patch: Partial<Usage>): Usage {
  return {
    tier: "free",
    messages_used: 3,
    messages_limit: 20,
    messages_remaining: 17,
    resets_at: "2026-12-02T00:00:00.000Z",
    vault_bytes: 0,
    vault_limit_bytes: 100 * 1024 * 1024,
    features: [],
    ...patch,
  };
}

const memory: MemoryUsed = { id: "m1", conversation_title: "Trip to Lisbon", created_at: "2024-05-01T10:00:00Z", source: "openai", score: 0.5, snippet: "the **tram** 28" };

describe("a streamed answer on screen", () => {
  it("shows the cited memories from the start, the words as they come, then the whole reply", () => {
    const [question, answer] = startExchange("Which tram did I take?");
    expect(question).toMatchObject({ role: "user", content: "Which tram did I take?", pending: false });
    expect(answer).toMatchObject({ role: "assistant", content: "", pending: true });

    applyStreamEvent(answer, { event: "start", data: { conversation_id: "c", memories_used: [memory] } });
    expect(answer.memories).toEqual([memory]);
    applyStreamEvent(answer, { event: "delta", data: { text: "Tram " } });
    applyStreamEvent(answer, { event: "delta", data: { text: "28 [1]" } });
    expect(answer).toMatchObject({ content: "Tram 28 [1]", pending: true });

    const done: ChatAnswer = { conversation_id: "c", reply: "Tram 28 [1].", memories_used: [memory], usage: usage({}), model: "offline" };
    applyStreamEvent(answer, { event: "done", data: done });
    expect(answer).toMatchObject({ content: "Tram 28 [1].", pending: false });
  });

  it("gives every new turn its own key, so two exchanges never share a row", () => {
    const keys = [...startExchange("a"), ...startExchange("b")].map((turn) => turn.key);
    expect(new Set(keys).size).toBe(4);
  });

  it("shows a stored conversation's answers with the memories they used", () => {
    const turns = turnsFrom({
      id: "c",
      title: "Trams",
      created_at: "2026-12-01T10:00:00Z",
      updated_at: "2026-12-01T10:00:00Z",
      messages: [
        { id: 1, role: "user", content: "Which tram?", created_at: "2026-12-01T10:00:00Z" },
        { id: 2, role: "assistant", content: "Tram 28 [1].", created_at: "2026-12-01T10:00:01Z", memories_used: [memory], model: "offline" },
      ],
    });
    expect(turns.map((turn) => [turn.role, turn.memories.length, turn.pending])).toEqual([
      ["user", 0, false],
      ["assistant", 1, false],
    ]);
  });
});

describe("the day's messages", () => {
  it("tells a free user how many are left, and a premium user nothing", () => {
    expect(messagesLeftLabel(usage({}))).toBe("17 of 20 messages left today");
    expect(messagesLeftLabel(usage({ tier: "premium", messages_limit: null, messages_remaining: null }))).toBeNull();
  });

  it("is at the limit when none are left, with the reset time the usage gives", () => {
    expect(limitFromUsage(usage({}))).toBeNull();
    expect(limitFromUsage(usage({ messages_used: 20, messages_remaining: 0 }))).toEqual({ limit: 20, resetsAt: "2026-12-02T00:00:00.000Z" });
    expect(limitFromUsage(usage({ tier: "premium", messages_limit: null, messages_remaining: null }))).toBeNull();
  });

  it("reads the limit and reset time from a 429 daily_limit refusal, and nothing from other refusals", () => {
    const refusal = { error: "daily_limit", message: "You have used all 20 messages…", messages_used: 20, messages_limit: 20, resets_at: "2026-12-03T00:00:00.000Z" };
    expect(limitFromRefusal(refusal, usage({}))).toEqual({ limit: 20, resetsAt: "2026-12-03T00:00:00.000Z" });
    expect(limitFromRefusal({ error: "model_unavailable", message: "…" }, usage({}))).toBeNull();
    expect(limitFromRefusal(undefined, usage({}))).toBeNull();
  });

  it("lets the limit go once its reset time has passed", () => {
    const limit = { limit: 20, resetsAt: "2026-12-02T00:00:00.000Z" };
    expect(limitOver(limit, Date.parse("2026-12-01T23:59:59Z"))).toBe(false);
    expect(limitOver(limit, Date.parse("2026-12-02T00:00:00Z"))).toBe(true);
  });
});
