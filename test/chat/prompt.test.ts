import { describe, expect, it } from "vitest";
import { describeAnswer } from "../../cli/chat";
import { offlineReply } from "../../lib/chat/offline-responder";
import { buildPrompt, memoryLabel, type RetrievedMemory } from "../../lib/chat/prompt";

const memory = (n: number, overrides: Partial<RetrievedMemory> = {}): RetrievedMemory => ({
  id: `m${n}`,
  kind: "exchange",
  source: "openai",
  conversation_title: `Conversation ${n}`,
  created_at: `2024-03-0${(n % 9) + 1}T10:00:00Z`,
  human: `Question ${n} ${"words ".repeat(20)}`,
  assistant: `Answer ${n} ${"more ".repeat(20)}`,
  snippet: `snippet ${n}`,
  score: 1 / n,
  ...overrides,
});
const now = new Date("2026-12-01T09:00:00Z");

describe("the chat prompt", () => {
  it("labels each memory with its date, source and title, numbered for citation", () => {
    const prompt = buildPrompt({ question: "When was the Lisbon trip?", memories: [memory(1, { source: "anthropic", conversation_title: "Trip to Lisbon" })], history: [], window: "context_window_1m", now });

    const system = prompt.messages[0]!.content;
    expect(system).toContain('[1] 2024-03-02 · Claude · "Trip to Lisbon"\nUser: Question 1');
    expect(system).toContain("Today is 2026-12-01 (UTC).");
    expect(prompt.messages.at(-1)).toEqual({ role: "user", content: "When was the Lisbon trip?" });
    expect(prompt.memoriesUsed).toEqual([{ id: "m1", kind: "exchange", conversation_title: "Trip to Lisbon", created_at: "2024-03-02T10:00:00Z", source: "anthropic", score: 1, snippet: "snippet 1" }]);
  });

  it("says which cited memory is a profile fact, so the answer's citations name it as the prompt did", () => {
    const prompt = buildPrompt({ question: "What do I do?", memories: [memory(1, { kind: "profile", conversation_title: null, human: "I am a nurse in Porto and I keep bees.", assistant: "" })], history: [], window: "context_window_1m", now });

    expect(prompt.messages[0]!.content).toContain('[1] 2024-03-02 · ChatGPT · "profile"');
    expect(prompt.memoriesUsed.map((used) => used.kind)).toEqual(["profile"]);
    expect(describeAnswer({ conversation_id: "c1", reply: "A nurse [1].", memories_used: prompt.memoriesUsed, usage: { messages_used: 1, messages_limit: null, messages_remaining: null } as never, model: "offline" })).toContain('[1] 2024-03-02 · ChatGPT · "profile"');
  });

  it("names undated and untitled memories as such, and profile facts as the profile", () => {
    expect(memoryLabel({ created_at: null, source: "grok", conversation_title: null, kind: "exchange" })).toBe('undated · Grok · "untitled"');
    expect(memoryLabel({ created_at: "2025-01-02", source: "anthropic", conversation_title: null, kind: "profile" })).toBe('2025-01-02 · Claude · "profile"');
  });

  it("takes twice as many memories with the 2m context window as with the 1m one", () => {
    const memories = Array.from({ length: 30 }, (_, i) => memory(i + 1));

    const free = buildPrompt({ question: "q", memories, history: [], window: "context_window_1m", now });
    const premium = buildPrompt({ question: "q", memories, history: [], window: "context_window_2m", now });

    expect(free.memories).toHaveLength(8);
    expect(premium.memories).toHaveLength(16);
    expect(premium.memoriesUsed.map((m) => m.id).slice(0, 8)).toEqual(free.memoriesUsed.map((m) => m.id));
  });

  it("keeps the memories within the window's character budget, cutting long ones", () => {
    const long = Array.from({ length: 8 }, (_, i) => memory(i + 1, { human: "x".repeat(10_000) }));

    const prompt = buildPrompt({ question: "q", memories: long, history: [], window: "context_window_1m", now });

    const total = prompt.memories.reduce((sum, m) => sum + m.text.length, 0);
    expect(total).toBeLessThanOrEqual(12_000);
    expect(prompt.memories[0]!.text.endsWith("…")).toBe(true);
    expect(prompt.memoriesUsed).toHaveLength(prompt.memories.length);
  });

  it("includes only the last six messages of the history, oldest first", () => {
    const history = Array.from({ length: 10 }, (_, i) => ({ role: i % 2 === 0 ? ("user" as const) : ("assistant" as const), content: `turn ${i}` }));

    const prompt = buildPrompt({ question: "now", memories: [], history, window: "context_window_1m", now });

    expect(prompt.messages.map((m) => m.content).slice(1)).toEqual(["turn 4", "turn 5", "turn 6", "turn 7", "turn 8", "turn 9", "now"]);
    expect(prompt.messages[0]!.content).toContain("Memories: none match this message.");
  });
});

describe("the offline responder", () => {
  it("says plainly that no model is configured and quotes the best three memories with their dates", () => {
    const prompt = buildPrompt({ question: "Lisbon?", memories: [1, 2, 3, 4].map((n) => memory(n)), history: [], window: "context_window_1m", now });

    const reply = offlineReply("Lisbon?", prompt.memories);

    expect(reply).toMatch(/^No chat model is configured on this server/);
    expect(reply).toContain('[1] 2024-03-02 · ChatGPT · "Conversation 1"\n“User: Question 1');
    expect(reply).toContain("[3] 2024-03-04");
    expect(reply).not.toContain("[4]");
    expect(offlineReply("Lisbon?", prompt.memories)).toBe(reply);
  });

  it("says when nothing in the vault matches", () => {
    expect(offlineReply("Anything about Mars?", [])).toMatch(/Nothing in your vault matches “Anything about Mars\?” yet\.$/);
  });
});
