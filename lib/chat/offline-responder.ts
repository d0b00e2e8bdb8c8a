import type { ChatModel, PromptMemory } from "./chat-model";

const QUOTE_CHARS = 280;
const QUOTED = 3;

function quote(memory: PromptMemory): string {
  const text = memory.text.replace(/\s+/g, " ").trim();
  return text.length > QUOTE_CHARS ? `${text.slice(0, QUOTE_CHARS - 1).trimEnd()}…` : text;
}

/**
 * The reply when no model is configured (no CHAT_URL), so `npm start` chats with no account anywhere:
 * it says so plainly and quotes the best-matching memories with their dates. Deterministic: the same
 * memories give the same words.
 */
export function offlineReply(question: string, memories: PromptMemory[]): string {
  const intro = "No chat model is configured on this server (its operator sets CHAT_URL), so I cannot answer in my own words.";
  if (memories.length === 0) return `${intro} Nothing in your vault matches “${question.trim().slice(0, 200)}” yet.`;
  const best = memories.slice(0, QUOTED).map((memory) => `[${memory.number}] ${memory.label}\n“${quote(memory)}”`);
  return `${intro} Here is what your vault holds that matches best:\n\n${best.join("\n\n")}`;
}

/** The offline responder as a {@link ChatModel}: streams its reply line by line, like a model would. */
export function createOfflineChatModel(): ChatModel {
  return {
    model: "offline",
    offline: true,
    async reply(request) {
      const reply = offlineReply(request.question, request.memories);
      if (request.onDelta) for (const line of reply.split(/(?<=\n)/)) request.onDelta(line);
      return { reply, model: "offline", tokens: null };
    },
  };
}
