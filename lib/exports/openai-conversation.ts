import { activeBranch } from "./openai-active-branch";
import { readOpenAiMessage } from "./openai-message";
import type { ConversationReading } from "./conversation-reading";
import { type JsonObject, asId, asObject, asText, asTitle } from "./loose-json";
import type { ProfileDraft } from "./profiles";
import { stableId } from "./record-id";
import { toIsoTimestamp } from "./timestamps";
import { type ThreadMessage, buildExchanges } from "./turns";

export interface OpenAiReadOptions {
  includeDoNotRemember: boolean;
  countSkip: (reason: string) => void;
}

/**
 * One ChatGPT conversation (an element of `conversations.json`) as exchanges along its active branch,
 * plus the custom instructions and saved memory it carries. Missing titles, times, parts or
 * `current_node` only make the result poorer, never an error.
 */
export function readOpenAiConversation(value: unknown, options: OpenAiReadOptions): ConversationReading {
  const conversation = asObject(value) ?? {};
  const conversationId = openAiConversationId(conversation);
  // The person asked ChatGPT not to remember this conversation: respect it for the instructions in it too.
  if (conversation.is_do_not_remember === true && !options.includeDoNotRemember) {
    return { conversationId, exchanges: [], profile: [], skipped: "do_not_remember" };
  }
  const messages: ThreadMessage[] = [];
  const profile: ProfileDraft[] = [];
  for (const node of activeBranch(conversation)) {
    const reading = readOpenAiMessage(node);
    if (reading.message !== null) messages.push(reading.message);
    profile.push(...reading.profile);
  }
  const defaultModel = asText(conversation.default_model_slug) ?? undefined;
  const exchanges = buildExchanges(messages, {
    source: "openai",
    conversationId,
    title: asTitle(conversation.title),
    ...(defaultModel && { defaultModel }),
    conversationTime: toIsoTimestamp(conversation.create_time) ?? toIsoTimestamp(conversation.update_time),
    countSkip: options.countSkip,
  });
  return { conversationId, exchanges, profile, ...(exchanges.length === 0 && { skipped: "empty_conversation" }) };
}

/**
 * `conversation_id` or `id`; an export without either still needs a stable id, so one is derived from
 * what does not change between exports (creation time, title, the mapping's node ids).
 */
function openAiConversationId(conversation: JsonObject): string {
  const id = asId(conversation.conversation_id) ?? asId(conversation.id);
  if (id !== null) return id;
  const nodeIds = Object.keys(asObject(conversation.mapping) ?? {}).sort().slice(0, 8);
  return `derived-${stableId("openai", conversation.create_time, conversation.title, ...nodeIds)}`;
}
