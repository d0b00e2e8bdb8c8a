import type { ExchangeAttachment, ExchangeRecord, ExportSource } from "./records";
import { stableId } from "./record-id";

/** One visible message, in thread order, after a source reader has decided what is visible. */
export interface ThreadMessage {
  role: "human" | "assistant";
  /** The source's own message id; turns are identified by their first human message's id. */
  id: string | null;
  text: string;
  created_at: string | null;
  model?: string;
  attachments?: ExchangeAttachment[];
}

export interface ThreadContext {
  source: ExportSource;
  conversationId: string;
  title: string | null;
  /** Used when no assistant message names its model (ChatGPT's `default_model_slug`). */
  defaultModel?: string;
  /** The conversation's own time: the date of a turn whose messages have none. */
  conversationTime: string | null;
  countSkip: (reason: string) => void;
}

interface Turn {
  human: string[];
  assistant: string[];
  /** Set by any answer, even one with no text (an image), so the next prompt starts a new turn. */
  answered: boolean;
  firstHumanId: string | null;
  firstAssistantId: string | null;
  /** The first human message's time (or, with no human message, the answer's): part of a content-derived id. */
  created_at: string | null;
  /** The first dated answer's time: the turn's date when its prompt has none. */
  answeredAt: string | null;
  model?: string;
  attachments: ExchangeAttachment[];
}

/**
 * Groups a thread into exchanges: a turn starts at a human message that follows an answer, so
 * consecutive human messages merge into one prompt and every assistant message up to the next prompt
 * forms the answer. Turns with no text on either side (an image-only generation with no prompt text)
 * are dropped and counted, not stored as empty memories.
 */
export function buildExchanges(messages: Iterable<ThreadMessage>, context: ThreadContext): ExchangeRecord[] {
  const exchanges: ExchangeRecord[] = [];
  const seenIds = new Set<string>();
  let turn: Turn | null = null;
  const flush = (): void => {
    if (turn === null) return;
    const exchange = toExchange(turn, exchanges.length, context);
    turn = null;
    if (exchange === null) return context.countSkip("empty_turn");
    // The same message id twice in one thread is a broken export; keeping both would duplicate a memory.
    if (seenIds.has(exchange.id)) return context.countSkip("duplicate_turn");
    seenIds.add(exchange.id);
    exchanges.push(exchange);
  };
  for (const message of messages) {
    if (message.role === "human" && turn !== null && turn.answered) flush();
    turn ??= { human: [], assistant: [], answered: false, firstHumanId: null, firstAssistantId: null, created_at: null, answeredAt: null, attachments: [] };
    addMessage(turn, message);
  }
  flush();
  return exchanges;
}

function addMessage(turn: Turn, message: ThreadMessage): void {
  const text = message.text.trim();
  if (message.role === "human") {
    if (text !== "") turn.human.push(text);
    turn.firstHumanId ??= message.id;
    turn.created_at ??= message.created_at;
    turn.attachments.push(...(message.attachments ?? []));
    return;
  }
  if (text !== "") turn.assistant.push(text);
  turn.answered = true;
  turn.firstAssistantId ??= message.id;
  turn.answeredAt ??= message.created_at;
  // An answer with no prompt before it (a GPT's greeting) is dated by the answer.
  if (turn.firstHumanId === null) turn.created_at ??= message.created_at;
  if (message.model !== undefined) turn.model = message.model;
}

function toExchange(turn: Turn, sequenceIndex: number, context: ThreadContext): ExchangeRecord | null {
  const human = turn.human.join("\n\n");
  const assistant = turn.assistant.join("\n\n");
  if (human === "" && assistant === "") return null;
  const exchange: ExchangeRecord = {
    kind: "exchange",
    id: turnId(turn, human, context),
    source: context.source,
    conversation_id: context.conversationId,
    conversation_title: context.title,
    sequence_index: sequenceIndex,
    // ChatGPT exports leave some messages undated inside dated conversations; an undated memory would
    // sort and filter as if it had no past at all.
    created_at: turn.created_at ?? turn.answeredAt ?? context.conversationTime,
    human,
    assistant,
  };
  const model = turn.model ?? context.defaultModel;
  if (model !== undefined) exchange.model = model;
  if (turn.attachments.length > 0) exchange.attachments = uniqueByName(turn.attachments);
  return exchange;
}

/** From the source's message ids when it has them; otherwise from what was said and when. */
function turnId(turn: Turn, human: string, context: ThreadContext): string {
  if (turn.firstHumanId !== null) return stableId(context.source, context.conversationId, turn.firstHumanId);
  if (turn.firstAssistantId !== null) return stableId(context.source, context.conversationId, "assistant", turn.firstAssistantId);
  return stableId(context.source, context.conversationId, "content", turn.created_at, human);
}

function uniqueByName(attachments: ExchangeAttachment[]): ExchangeAttachment[] {
  const byName = new Map<string, ExchangeAttachment>();
  for (const attachment of attachments) if (!byName.has(attachment.name)) byName.set(attachment.name, attachment);
  return [...byName.values()];
}
