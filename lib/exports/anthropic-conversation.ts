import type { ConversationReading } from "./conversation-reading";
import { type JsonObject, asArray, asId, asNumber, asObject, asText, asTitle } from "./loose-json";
import { stableId } from "./record-id";
import { type ExchangeAttachment, MAX_ATTACHMENT_TEXT_CHARS } from "./records";
import { toIsoTimestamp } from "./timestamps";
import { type ThreadMessage, buildExchanges } from "./turns";

/** Claude marks the first message of a branching thread with this parent. */
const ROOT_PARENT = "00000000-0000-4000-8000-000000000000";

/**
 * One Claude conversation (an element of Claude's `conversations.json`). Messages are usually a flat list
 * in order; consecutive messages from one sender merge into one side of a turn. Text comes from the
 * `text` blocks of `content[]` (thinking, tool use and tool results are not what the person saw), falling
 * back to `text` for messages without blocks. Pasted and uploaded text files
 * (`attachments[].extracted_content`) stay beside what the person typed, as the attachments' text.
 */
export function readAnthropicConversation(value: unknown, countSkip: (reason: string) => void): ConversationReading {
  const conversation = asObject(value) ?? {};
  const conversationId = asId(conversation.uuid) ?? `derived-${stableId("anthropic", conversation.created_at, conversation.name)}`;
  const messages: ThreadMessage[] = [];
  for (const message of currentBranch(asArray(conversation.chat_messages))) {
    const thread = threadMessage(message);
    if (thread !== null) messages.push(thread);
  }
  const exchanges = buildExchanges(messages, {
    source: "anthropic",
    conversationId,
    title: asTitle(conversation.name),
    conversationTime: toIsoTimestamp(conversation.created_at) ?? toIsoTimestamp(conversation.updated_at),
    countSkip,
  });
  return { conversationId, exchanges, profile: [], ...(exchanges.length === 0 && { skipped: "empty_conversation" }) };
}

/**
 * When every message names its parent and the list branches (an edited prompt, a retried answer), keep
 * the path that ends at the last message, as Claude shows it; otherwise the list order is the thread.
 */
function currentBranch(list: unknown[]): JsonObject[] {
  const messages = list.map(asObject).filter((message): message is JsonObject => message !== null);
  const byId = new Map<string, JsonObject>();
  for (const message of messages) {
    const id = asId(message.uuid);
    if (id === null || asId(message.parent_message_uuid) === null) return messages;
    byId.set(id, message);
  }
  const path: JsonObject[] = [];
  const visited = new Set<string>();
  for (let message = messages.at(-1); message !== undefined; ) {
    const id = asId(message.uuid)!;
    if (visited.has(id)) break;
    visited.add(id);
    path.push(message);
    const parent = asId(message.parent_message_uuid);
    message = parent === null || parent === ROOT_PARENT ? undefined : byId.get(parent);
  }
  return path.reverse();
}

function threadMessage(message: JsonObject): ThreadMessage | null {
  const sender = asText(message.sender);
  if (sender !== "human" && sender !== "assistant") return null;
  const base = { id: asId(message.uuid), created_at: toIsoTimestamp(message.created_at) };
  if (sender === "assistant") return { role: "assistant", ...base, text: visibleText(message) };
  const attachments = attachmentsOf(message);
  return { role: "human", ...base, text: visibleText(message), ...(attachments.length > 0 && { attachments }) };
}

function visibleText(message: JsonObject): string {
  const blocks = asArray(message.content)
    .map(asObject)
    .filter((block) => block?.type === "text")
    .map((block) => asText(block?.text))
    .filter((text): text is string => text !== null);
  return blocks.length > 0 ? blocks.join("\n\n") : (asText(message.text) ?? "");
}

function boundedText(text: string | null): Pick<ExchangeAttachment, "text" | "text_truncated"> {
  if (text === null || text.trim() === "") return {};
  if (text.length <= MAX_ATTACHMENT_TEXT_CHARS) return { text };
  // Never end on the first half of a surrogate pair (an emoji cut in two is not valid UTF-16).
  const end = /[\uD800-\uDBFF]/.test(text[MAX_ATTACHMENT_TEXT_CHARS - 1]!) ? MAX_ATTACHMENT_TEXT_CHARS - 1 : MAX_ATTACHMENT_TEXT_CHARS;
  return { text: text.slice(0, end), text_truncated: true };
}

function attachmentsOf(message: JsonObject): ExchangeAttachment[] {
  const attachments: ExchangeAttachment[] = [];
  for (const item of asArray(message.attachments)) {
    const attachment = asObject(item);
    const name = asText(attachment?.file_name);
    if (attachment === null || name === null) continue;
    const type = asText(attachment.file_type) ?? undefined;
    const size = asNumber(attachment.file_size);
    attachments.push({ name, ...(type && { type }), ...(size !== undefined && { size }), ...boundedText(asText(attachment.extracted_content)) });
  }
  for (const item of [...asArray(message.files), ...asArray(message.files_v2)]) {
    const name = asText(asObject(item)?.file_name);
    if (name !== null) attachments.push({ name });
  }
  return attachments;
}
