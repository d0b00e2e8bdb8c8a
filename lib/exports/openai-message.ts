import { stripCitationMarkers } from "./citation-markers";
import { type JsonObject, asArray, asId, asNumber, asObject, asText } from "./loose-json";
import type { ProfileDraft } from "./profiles";
import type { ExchangeAttachment } from "./records";
import { toIsoTimestamp } from "./timestamps";
import type { ThreadMessage } from "./turns";

/** What one node of a ChatGPT thread contributes: a visible message, profile facts, or neither. */
export interface OpenAiMessageReading {
  message: ThreadMessage | null;
  profile: ProfileDraft[];
}

/** Content types whose payload the ChatGPT page shows as text; everything else is tool or reasoning data. */
const TEXT_CONTENT = new Set(["text", "multimodal_text"]);

/**
 * Decides what the ChatGPT page would show for one message. Shown: user text, assistant text addressed
 * to the user (`recipient` "all", final channel), voice transcripts. Hidden: system prompts, tool calls
 * and their output, browsing noise, thoughts and reasoning recaps, messages flagged
 * `is_visually_hidden_from_conversation`. Custom instructions and saved memory travel inside hidden
 * messages; they come back as profile facts.
 */
export function readOpenAiMessage(node: JsonObject): OpenAiMessageReading {
  const message = asObject(node.message);
  if (message === null) return { message: null, profile: [] };
  const content = asObject(message.content);
  const metadata = asObject(message.metadata) ?? {};
  return { message: visibleMessage(node, message, content, metadata), profile: profileDrafts(content, metadata) };
}

function visibleMessage(node: JsonObject, message: JsonObject, content: JsonObject | null, metadata: JsonObject): ThreadMessage | null {
  if (content === null || metadata.is_visually_hidden_from_conversation === true || metadata.is_user_system_message === true) return null;
  if (!TEXT_CONTENT.has(asText(content.content_type) ?? "")) return null;
  const role = asText(asObject(message.author)?.role);
  const base = { id: asId(message.id) ?? asId(node.id), created_at: toIsoTimestamp(message.create_time) };
  if (role === "user") {
    const attachments = readAttachments(metadata);
    return { role: "human", ...base, text: partsText(content), ...(attachments.length > 0 && { attachments }) };
  }
  if (role !== "assistant" || !addressedToUser(message)) return null;
  const model = asText(metadata.model_slug) ?? undefined;
  return { role: "assistant", ...base, text: stripCitationMarkers(partsText(content)), ...(model && { model }) };
}

/** Tool calls go to a named recipient ("python", "browser", "bio"); reasoning goes to other channels. */
function addressedToUser(message: JsonObject): boolean {
  const recipient = asText(message.recipient) ?? "all";
  const channel = asText(message.channel);
  return recipient === "all" && (channel === null || channel === "final");
}

/** `parts` holds strings (possibly null) and, in multimodal messages, objects: only voice transcripts are text. */
function partsText(content: JsonObject): string {
  const texts: string[] = [];
  for (const part of asArray(content.parts)) {
    if (typeof part === "string") {
      if (part.trim() !== "") texts.push(part);
      continue;
    }
    const object = asObject(part);
    if (object?.content_type === "audio_transcription") {
      const transcript = asText(object.text);
      if (transcript !== null) texts.push(transcript);
    }
  }
  return texts.join("\n\n");
}

function readAttachments(metadata: JsonObject): ExchangeAttachment[] {
  const attachments: ExchangeAttachment[] = [];
  for (const item of asArray(metadata.attachments)) {
    const object = asObject(item);
    const name = asText(object?.name);
    if (object === null || name === null) continue;
    const type = asText(object.mime_type) ?? undefined;
    const size = asNumber(object.size);
    attachments.push({ name, ...(type && { type }), ...(size !== undefined && { size }) });
  }
  return attachments;
}

/**
 * Custom instructions arrive three ways: `user_editable_context` content (2024+), the older
 * `user_context_message_data` metadata on a user system message (or, lacking it, that message's text),
 * and saved memory as `model_editable_context.model_set_context`.
 */
function profileDrafts(content: JsonObject | null, metadata: JsonObject): ProfileDraft[] {
  const drafts: ProfileDraft[] = [];
  const contentType = asText(content?.content_type);
  if (content !== null && contentType === "user_editable_context") {
    addDraft(drafts, "custom_instructions", "about_user", unwrapInstructions(asText(content.user_profile)));
    addDraft(drafts, "custom_instructions", "response_style", unwrapInstructions(asText(content.user_instructions)));
  }
  if (content !== null && contentType === "model_editable_context") {
    addDraft(drafts, "saved_memory", undefined, asText(content.model_set_context));
  }
  const userContext = asObject(metadata.user_context_message_data);
  if (userContext !== null) {
    addDraft(drafts, "custom_instructions", "about_user", asText(userContext.about_user_message));
    addDraft(drafts, "custom_instructions", "response_style", asText(userContext.about_model_message));
  }
  if (drafts.length === 0 && metadata.is_user_system_message === true && content !== null) {
    addDraft(drafts, "custom_instructions", undefined, asText(partsText(content)));
  }
  return drafts;
}

/**
 * A module function rather than a closure made per message: this runs for every message of an export,
 * and a closure made per call costs more than the call (more still under tsx, which names each one).
 */
function addDraft(drafts: ProfileDraft[], profile_kind: ProfileDraft["profile_kind"], label: string | undefined, text: string | null): void {
  if (text !== null) drafts.push({ profile_kind, ...(label && { label }), text });
}

/**
 * In `user_editable_context`, ChatGPT wraps what the person typed in its own preamble ("The user
 * provided the following information about themselves. … User profile:```…```"). Keep only the
 * person's words: the text between the first and the last fence, when such a preamble is present.
 */
function unwrapInstructions(text: string | null): string | null {
  if (text === null || !text.startsWith("The user provided")) return text;
  const open = text.indexOf("```");
  const close = text.lastIndexOf("```");
  if (open === -1 || close <= open) return text;
  return asText(text.slice(open + 3, close));
}
