/**
 * The chat screen's model, kept apart from its markup so it can be tested without a browser: the turns
 * on screen, what a streamed answer's events do to them, and what the plan's limit lets a person do.
 */
import type { ApiErrorBody, ChatStreamEvent, ConversationDetail, MemoryUsed, Usage } from "./api";
import { clockTime, formatCount } from "./format";

export interface ChatTurn {
  /** Stable for the list's keys: the stored id, or a local one while a turn is new. */
  key: string;
  role: "user" | "assistant";
  content: string;
  /** For an answer: the memories its prompt held, in the order the reply cites them ([1], [2], …). */
  memories: MemoryUsed[];
  /** An answer still being written. */
  pending: boolean;
}

let localKeys = 0;
const localKey = () => `local-${++localKeys}`;

/** A stored conversation as turns on screen. */
export function turnsFrom(conversation: ConversationDetail): ChatTurn[] {
  return conversation.messages.map((message) => ({
    key: `stored-${message.id}`,
    role: message.role,
    content: message.content,
    memories: message.memories_used ?? [],
    pending: false,
  }));
}

/** The question as sent, and an empty answer waiting for its first words. */
export function startExchange(message: string): [ChatTurn, ChatTurn] {
  return [
    { key: localKey(), role: "user", content: message, memories: [], pending: false },
    { key: localKey(), role: "assistant", content: "", memories: [], pending: true },
  ];
}

/**
 * What one event of a streamed answer does to the answer being written: `start` names the memories,
 * each `delta` adds words, `done` settles it with the whole reply (the server's text wins).
 */
export function applyStreamEvent(answer: ChatTurn, event: ChatStreamEvent): void {
  switch (event.event) {
    case "start":
      answer.memories = event.data.memories_used;
      break;
    case "delta":
      answer.content += event.data.text;
      break;
    case "done":
      answer.content = event.data.reply;
      answer.memories = event.data.memories_used;
      answer.pending = false;
      break;
    case "error":
      answer.pending = false;
      break;
  }
}

/** "17 of 20 messages left today" for a plan with a daily limit; `null` for one without. */
export function messagesLeftLabel(usage: Usage): string | null {
  if (usage.messages_limit === null || usage.messages_remaining === null) return null;
  const left = usage.messages_remaining;
  return `${formatCount(left)} of ${formatCount(usage.messages_limit)} ${usage.messages_limit === 1 ? "message" : "messages"} left today`;
}

/** The day's limit, once reached: how many messages it allows and when more arrive. */
export interface DailyLimit {
  limit: number;
  resetsAt: string;
}

/** The limit reached according to the plan's usage (`null` while messages are left, or with no limit). */
export function limitFromUsage(usage: Usage): DailyLimit | null {
  if (usage.messages_limit === null || usage.messages_remaining === null || usage.messages_remaining > 0) return null;
  return { limit: usage.messages_limit, resetsAt: usage.resets_at };
}

/** The limit a 429 `daily_limit` answer names (its body carries `messages_limit` and `resets_at`). */
export function limitFromRefusal(body: ApiErrorBody | undefined, usage: Usage): DailyLimit | null {
  if (body?.error !== "daily_limit") return null;
  const limit = typeof body.messages_limit === "number" ? body.messages_limit : (usage.messages_limit ?? 0);
  const resetsAt = typeof body.resets_at === "string" ? body.resets_at : usage.resets_at;
  return { limit, resetsAt };
}

/** When more messages arrive, in the person's own clock, with the server's reference: "01:00 (midnight UTC)". */
export function resetLabel(limit: DailyLimit): string {
  return `${clockTime(limit.resetsAt)} (midnight UTC)`;
}

/** Whether the reset time has passed, so the limit no longer holds. */
export function limitOver(limit: DailyLimit, now = Date.now()): boolean {
  return Date.parse(limit.resetsAt) <= now;
}
