import type { ConversationReading } from "./conversation-reading";
import { htmlToText } from "./html-to-text";
import { type JsonObject, asArray, asObject, asText } from "./loose-json";
import { stableId } from "./record-id";
import type { ExchangeAttachment, ExchangeRecord } from "./records";
import { toIsoTimestamp } from "./timestamps";

/** One "Prompted …" record of Gemini's My Activity: the prompt, and the answer as text. */
export interface GeminiPrompt {
  created_at: string | null;
  human: string;
  assistant: string;
  attachments: ExchangeAttachment[];
}

const PROMPT_PREFIX = "Prompted ";
const PRODUCT_NAME = /gemini|bard/i;
/** A pathological session (a bot prompting every minute for days) is cut into conversations of this size. */
const MAX_SESSION_PROMPTS = 1000;

/**
 * Reads one My Activity record. Only prompt records hold a conversation turn; "Created Gemini Canvas…",
 * "Selected preferred draft", feedback, and activity of other Google products are skipped by reason.
 * Titles are English only: a translated export reports everything as `not_a_prompt` instead of silently
 * importing nothing.
 */
export function readGeminiActivity(value: unknown): { prompt: GeminiPrompt } | { skipped: string } {
  const record = asObject(value);
  if (record === null) return { skipped: "unrecognised_record" };
  if (!isGeminiActivity(record)) return { skipped: "not_gemini_activity" };
  const title = asText(record.title);
  if (title === null || !title.startsWith(PROMPT_PREFIX)) return { skipped: "not_a_prompt" };
  const human = title.slice(PROMPT_PREFIX.length).trim();
  if (human === "") return { skipped: "not_a_prompt" };
  const answer = asArray(record.safeHtmlItem)
    .map((item) => asText(asObject(item)?.html))
    .filter((html): html is string => html !== null)
    .map(htmlToText)
    .filter((text) => text !== "")
    .join("\n\n");
  return { prompt: { created_at: toIsoTimestamp(record.time), human, assistant: answer, attachments: attachmentsOf(record) } };
}

function isGeminiActivity(record: JsonObject): boolean {
  const names = [asText(record.header), ...asArray(record.products).map(asText)].filter((name): name is string => name !== null);
  return names.length === 0 || names.some((name) => PRODUCT_NAME.test(name));
}

function attachmentsOf(record: JsonObject): ExchangeAttachment[] {
  const names = [...asArray(record.attachedFiles), record.imageFile].map((file) => asText(file) ?? asText(asObject(file)?.name));
  return names.filter((name): name is string => name !== null).map((name) => ({ name }));
}

/**
 * Gemini exports have no conversations: a flat list of prompts, newest first. Prompts closer together
 * than the gap form one session, stored as one conversation. Exchange ids come from the prompt's time and
 * text only, so a record keeps its id even if a later export groups sessions differently.
 */
export class GeminiSessions {
  private session: GeminiPrompt[] = [];
  private lastMs: number | null = null;

  constructor(private readonly gapMs: number) {}

  /** Adds the next prompt in file order; returns the sessions it completed. */
  add(prompt: GeminiPrompt): ConversationReading[] {
    const ms = prompt.created_at === null ? null : Date.parse(prompt.created_at);
    // An undated prompt cannot be placed in a session: it is a conversation of its own.
    if (ms === null) return [sessionReading([prompt])];
    const completed: ConversationReading[] = [];
    const fits = this.lastMs !== null && Math.abs(ms - this.lastMs) <= this.gapMs && this.session.length < MAX_SESSION_PROMPTS;
    if (!fits) completed.push(...this.finish());
    this.session.push(prompt);
    this.lastMs = ms;
    return completed;
  }

  /** The session in progress, once the input has ended. */
  finish(): ConversationReading[] {
    const session = this.session;
    this.session = [];
    this.lastMs = null;
    return session.length === 0 ? [] : [sessionReading(session)];
  }
}

function sessionReading(prompts: GeminiPrompt[]): ConversationReading {
  const ordered = prompts
    .map((prompt, index) => ({ prompt, index }))
    .sort((a, b) => compareTimes(a.prompt.created_at, b.prompt.created_at) || b.index - a.index)
    .map((entry) => entry.prompt);
  const first = ordered[0]!;
  const conversationId = stableId("gemini", "session", first.created_at, first.human);
  const exchanges: ExchangeRecord[] = [];
  const seen = new Set<string>();
  for (const prompt of ordered) {
    const id = stableId("gemini", "prompt", prompt.created_at, prompt.human);
    if (seen.has(id)) continue;
    seen.add(id);
    exchanges.push({
      kind: "exchange",
      id,
      source: "gemini",
      conversation_id: conversationId,
      conversation_title: null,
      sequence_index: exchanges.length,
      created_at: prompt.created_at,
      human: prompt.human,
      assistant: prompt.assistant,
      ...(prompt.attachments.length > 0 && { attachments: prompt.attachments }),
    });
  }
  return { conversationId, exchanges, profile: [] };
}

function compareTimes(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}
