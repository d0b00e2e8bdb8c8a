import { asObject } from "./loose-json";
import type { ExportSource } from "./records";

/** What a top-level JSON element is, decided by its fields, never by the file's name. */
export type ElementKind =
  | "openai_conversation"
  | "anthropic_conversation"
  | "anthropic_memory"
  | "anthropic_project"
  | "anthropic_account"
  | "grok_conversation"
  | "gemini_activity"
  | "unknown";

export const SOURCE_OF_KIND: Record<Exclude<ElementKind, "unknown">, ExportSource> = {
  openai_conversation: "openai",
  anthropic_conversation: "anthropic",
  anthropic_memory: "anthropic",
  anthropic_project: "anthropic",
  anthropic_account: "anthropic",
  grok_conversation: "grok",
  gemini_activity: "gemini",
};

/**
 * The fields that tell the formats apart: ChatGPT's `mapping` tree, Claude's `chat_messages`, Grok's
 * `{conversation, responses}` pairs, Gemini's activity `header` and `safeHtmlItem`. None of the four
 * formats is specified; these are the field names the exports themselves carry, as downloaded through
 * https://help.openai.com/en/articles/7260999-how-do-i-export-my-chatgpt-history-and-data,
 * https://support.anthropic.com/en/articles/9450526-how-can-i-export-my-claude-ai-data,
 * https://accounts.x.ai/data and Google Takeout's "My Activity" (https://takeout.google.com). Claude's side files are recognised so that they are read, not mistaken for noise.
 */
export function classifyElement(value: unknown): ElementKind {
  const object = asObject(value);
  if (object === null) return "unknown";
  if ("mapping" in object || "current_node" in object) return "openai_conversation";
  if ("chat_messages" in object) return "anthropic_conversation";
  if ("responses" in object && ("conversation" in object || "conversation_id" in object)) return "grok_conversation";
  if ("conversations_memory" in object || "project_memories" in object) return "anthropic_memory";
  if ("prompt_template" in object || ("docs" in object && "uuid" in object)) return "anthropic_project";
  if ("email_address" in object || "full_name" in object) return "anthropic_account";
  if ("safeHtmlItem" in object || ("header" in object && "time" in object) || ("products" in object && "time" in object)) {
    return "gemini_activity";
  }
  return "unknown";
}
