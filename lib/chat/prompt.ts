/**
 * The prompt: a system message with the person's memories, each labelled with its date, source and
 * title and numbered for citation, then the last few turns of the conversation, then the new message.
 * How much memory goes in follows the plan's context window feature.
 */
import type { MemoryUsed } from "../api/contract";
import { sourceName } from "../exports/source-names";
import type { ContextWindow } from "../tiers/tiers";
import type { ChatMessage, PromptMemory } from "./chat-model";

export type { MemoryUsed };

/** What the chat needs of a retrieved memory (the search module's `MemoryResult` has all of it). */
export interface RetrievedMemory {
  id: string;
  kind: "exchange" | "profile";
  source: string;
  conversation_title: string | null;
  created_at: string | null;
  human: string;
  assistant: string;
  snippet: string;
  score: number;
}

/** How many memories, and how many characters of them, each context window takes. */
export const MEMORY_BUDGETS: Record<ContextWindow, { memories: number; chars: number }> = {
  context_window_1m: { memories: 8, chars: 12_000 },
  context_window_2m: { memories: 16, chars: 32_000 },
};

/** Earlier messages of the conversation that go into the prompt (three exchanges). */
export const HISTORY_MESSAGES = 6;
const HISTORY_MESSAGE_CHARS = 4_000;
const MEMORY_CHARS = 2_500;
const MIN_MEMORY_CHARS = 200;


export function memoryLabel(memory: Pick<RetrievedMemory, "created_at" | "source" | "conversation_title" | "kind">): string {
  const date = memory.created_at ? memory.created_at.slice(0, 10) : "undated";
  const source = sourceName(memory.source) ?? memory.source;
  const title = memory.conversation_title ?? (memory.kind === "profile" ? "profile" : "untitled");
  return `${date} · ${source} · "${title.replace(/\s+/g, " ").slice(0, 120)}"`;
}

function cut(text: string, limit: number): string {
  return text.length > limit ? `${text.slice(0, limit - 1).trimEnd()}…` : text;
}

export interface BuiltPrompt {
  messages: ChatMessage[];
  memories: PromptMemory[];
  memoriesUsed: MemoryUsed[];
}

/**
 * Builds the prompt from the best memories that fit the window's budget (in their order), the history
 * (oldest first; only its last {@link HISTORY_MESSAGES} are used) and the question.
 */
export function buildPrompt(input: { question: string; memories: RetrievedMemory[]; history: ChatMessage[]; window: ContextWindow; now: Date }): BuiltPrompt {
  const budget = MEMORY_BUDGETS[input.window];
  const memories: PromptMemory[] = [];
  const memoriesUsed: MemoryUsed[] = [];
  let spent = 0;
  for (const memory of input.memories.slice(0, budget.memories)) {
    const remaining = budget.chars - spent;
    // A memory cut to a few words says nothing; stop once the budget is nearly spent.
    if (remaining < MIN_MEMORY_CHARS) break;
    const said = memory.kind === "profile" ? memory.human : `User: ${memory.human}\nAssistant: ${memory.assistant}`;
    const text = cut(said.trim(), Math.min(MEMORY_CHARS, remaining));
    spent += text.length;
    memories.push({ number: memories.length + 1, label: memoryLabel(memory), text });
    memoriesUsed.push({ id: memory.id, kind: memory.kind, conversation_title: memory.conversation_title, created_at: memory.created_at, source: memory.source, score: memory.score, snippet: memory.snippet });
  }
  const system = [
    "You are Cogzy, the user's assistant. You remember their earlier conversations with other AIs through the memories below, retrieved from their private vault for this message.",
    "Use a memory when it helps, and cite it by its number, like [2]. Mention dates when they matter. If the memories do not answer the question, say so and answer as well as you can; never invent a past conversation.",
    `Today is ${input.now.toISOString().slice(0, 10)} (UTC).`,
    "",
    memories.length === 0 ? "Memories: none match this message." : `Memories (best match first):\n\n${memories.map((memory) => `[${memory.number}] ${memory.label}\n${memory.text}`).join("\n\n")}`,
  ].join("\n");
  const history = input.history.slice(-HISTORY_MESSAGES).map((message) => ({ role: message.role, content: cut(message.content, HISTORY_MESSAGE_CHARS) }));
  return {
    messages: [{ role: "system", content: system }, ...history, { role: "user", content: input.question }],
    memories,
    memoriesUsed,
  };
}
