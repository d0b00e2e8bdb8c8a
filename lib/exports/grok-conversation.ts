import type { ConversationReading } from "./conversation-reading";
import { type JsonObject, asArray, asId, asObject, asText, asTitle } from "./loose-json";
import { stableId } from "./record-id";
import type { ExchangeAttachment } from "./records";
import { toIsoTimestamp } from "./timestamps";
import { type ThreadMessage, buildExchanges } from "./turns";

const HUMAN_SENDERS = new Set(["human", "user"]);

/**
 * One Grok conversation: an element of `conversations` in `prod-grok-backend.json`,
 * `{conversation: {...}, responses: [{response: {...}}]}`. `sender` is spelled many ways ("human",
 * "ASSISTANT", a model name): anything not human is the assistant. Responses may be out of order.
 */
export function readGrokConversation(value: unknown, countSkip: (reason: string) => void): ConversationReading {
  const item = asObject(value) ?? {};
  const conversation = asObject(item.conversation) ?? {};
  const responses = asArray(item.responses)
    .map((entry) => asObject(asObject(entry)?.response) ?? asObject(entry))
    .filter((response): response is JsonObject => response !== null);
  const conversationId =
    asId(conversation.conversation_id) ?? asId(conversation.id) ?? `derived-${stableId("grok", conversation.create_time, conversation.title)}`;
  const messages: ThreadMessage[] = [];
  for (const response of threadOrder(responses, asId(conversation.leaf_response_id))) {
    const message = threadMessage(response);
    if (message !== null) messages.push(message);
  }
  const exchanges = buildExchanges(messages, {
    source: "grok",
    conversationId,
    title: asTitle(conversation.title),
    conversationTime: toIsoTimestamp(conversation.create_time) ?? toIsoTimestamp(conversation.modify_time),
    countSkip,
  });
  return { conversationId, exchanges, profile: [], ...(exchanges.length === 0 && { skipped: "empty_conversation" }) };
}

/**
 * The path from `leaf_response_id` back through `parent_response_id` when it reaches a root; otherwise
 * the responses sorted by time (kept as listed when some have no time).
 */
function threadOrder(responses: JsonObject[], leafId: string | null): JsonObject[] {
  const byId = new Map<string, JsonObject>();
  for (const response of responses) {
    const id = asId(response.response_id) ?? asId(response._id);
    if (id !== null) byId.set(id, response);
  }
  const path: JsonObject[] = [];
  const visited = new Set<string>();
  for (let id = leafId; id !== null && !visited.has(id); ) {
    visited.add(id);
    const response = byId.get(id);
    if (response === undefined) break;
    path.push(response);
    id = asId(response.parent_response_id);
    if (id === null) return path.reverse();
  }
  const timed = responses.map((response, index) => ({ response, index, time: toIsoTimestamp(response.create_time) }));
  if (timed.some((entry) => entry.time === null)) return responses;
  return timed
    .sort((a, b) => (a.time! < b.time! ? -1 : a.time! > b.time! ? 1 : a.index - b.index))
    .map((entry) => entry.response);
}

function threadMessage(response: JsonObject): ThreadMessage | null {
  const sender = asText(response.sender)?.trim();
  if (sender === undefined) return null;
  const text = asText(response.message) ?? "";
  // A failed generation leaves an error and no answer; it is not part of what the person saw answered.
  if (text === "" && asText(response.error) !== null) return null;
  const base = { id: asId(response.response_id) ?? asId(response._id), created_at: toIsoTimestamp(response.create_time), text };
  if (HUMAN_SENDERS.has(sender.toLowerCase())) {
    const attachments = attachmentsOf(response);
    return { role: "human", ...base, ...(attachments.length > 0 && { attachments }) };
  }
  const model = asText(asObject(asObject(response.metadata)?.requestModelDetails)?.modelId) ?? asText(response.model);
  const senderIsModel = sender.toLowerCase() !== "assistant";
  const modelName = model ?? (senderIsModel ? sender : null);
  return { role: "assistant", ...base, ...(modelName !== null && { model: modelName }) };
}

function attachmentsOf(response: JsonObject): ExchangeAttachment[] {
  const attachments: ExchangeAttachment[] = [];
  for (const item of asArray(response.file_attachments)) {
    const object = asObject(item);
    const name = asText(item) ?? asText(object?.name) ?? asText(object?.fileName) ?? asText(object?.file_name);
    if (name === null) continue;
    const type = asText(object?.mimeType) ?? asText(object?.mime_type) ?? undefined;
    attachments.push({ name, ...(type && { type }) });
  }
  return attachments;
}
