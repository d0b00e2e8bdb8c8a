/**
 * One chat message, in the order the product promises: the plan's daily limit (one atomic statement
 * takes a slot, or 429) → the memories from the caller's own vault and the conversation's last turns →
 * the model → the exchange saved in the history. A reply that fails gives its slot back.
 *
 * It runs in two steps so a streamed answer can start only once nothing can refuse it any more:
 * {@link prepareChat} does everything that can say no (404, 429), {@link completeChat} asks the model.
 */
import { randomUUID } from "node:crypto";
import type pg from "pg";
import type { ChatAnswer } from "../api/contract";
import { log } from "../log";
import { contextWindow, type TierPlans } from "../tiers/tiers";
import { releaseMessage, reserveMessage, usageAfterMessage, type Clock, type MessageReservation } from "../tiers/usage";
import type { ChatModel } from "./chat-model";
import { recentTurns, saveExchange } from "./history";
import { buildPrompt, HISTORY_MESSAGES, MEMORY_BUDGETS, type BuiltPrompt, type RetrievedMemory } from "./prompt";

/** The best `k` memories of `userId`'s own vault for `query`, best first. */
export type MemoryRetriever = (userId: string, query: string, k: number) => Promise<RetrievedMemory[]>;

export interface ChatDeps {
  db: pg.Pool;
  plans: TierPlans;
  model: ChatModel;
  retrieve: MemoryRetriever;
  clock: Clock;
}

export interface ChatInput {
  message: string;
  /** Continue this conversation; a new one is started without it. */
  conversation_id?: string;
}

export type { ChatAnswer };

/** A message that has its slot and its prompt, ready for the model. */
export interface PreparedChat {
  userId: string;
  conversationId: string;
  question: string;
  prompt: BuiltPrompt;
  reservation: MessageReservation;
}

/**
 * Takes a slot of the day's messages, then reads the conversation's last turns and retrieves memories
 * (as many as the plan's context window takes). Throws 429 `daily_limit` or 404 before anything is
 * asked of the model; a failure after the slot was taken gives it back.
 */
export async function prepareChat(deps: ChatDeps, userId: string, input: ChatInput): Promise<PreparedChat> {
  const now = deps.clock();
  const reservation = await reserveMessage(deps, userId, now);
  try {
    const window = contextWindow(deps.plans, reservation.tier);
    const [history, memories] = await Promise.all([
      input.conversation_id ? recentTurns(deps.db, userId, input.conversation_id, HISTORY_MESSAGES) : Promise.resolve([]),
      deps.retrieve(userId, input.message, MEMORY_BUDGETS[window].memories),
    ]);
    return {
      userId,
      conversationId: input.conversation_id ?? randomUUID(),
      question: input.message,
      prompt: buildPrompt({ question: input.message, memories, history, window, now }),
      reservation,
    };
  } catch (error) {
    await giveBack(deps, reservation);
    throw error;
  }
}

/**
 * Asks the model (passing each piece of a streamed reply to `onDelta`), saves the exchange and answers
 * with the plan's usage after it. If the model or the save fails, the slot is given back and the error
 * is thrown: nothing is recorded and nothing is counted.
 */
export async function completeChat(deps: ChatDeps, prepared: PreparedChat, options: { onDelta?: (text: string) => void; signal?: AbortSignal } = {}): Promise<ChatAnswer> {
  const started = performance.now();
  try {
    const completion = await deps.model.reply({ messages: prepared.prompt.messages, memories: prepared.prompt.memories, question: prepared.question, ...options });
    await saveExchange(deps.db, prepared.userId, {
      conversationId: prepared.conversationId,
      question: prepared.question,
      reply: completion.reply,
      memoriesUsed: prepared.prompt.memoriesUsed,
      model: completion.model,
    });
    log.info("chat reply", {
      userId: prepared.userId,
      conversationId: prepared.conversationId,
      model: completion.model,
      memories: prepared.prompt.memoriesUsed.length,
      tokens: completion.tokens,
      modelMs: Math.round(performance.now() - started),
    });
    return {
      conversation_id: prepared.conversationId,
      reply: completion.reply,
      memories_used: prepared.prompt.memoriesUsed,
      usage: await usageAfterMessage(deps, prepared.reservation, deps.clock()),
      model: completion.model,
    };
  } catch (error) {
    await giveBack(deps, prepared.reservation);
    log.warn("chat reply failed; its message slot was given back", { userId: prepared.userId, conversationId: prepared.conversationId, error, details: (error as { details?: unknown }).details });
    throw error;
  }
}

/** Gives a slot back; a failure to do so is logged, never put in the place of the error that caused it. */
async function giveBack(deps: ChatDeps, reservation: MessageReservation): Promise<void> {
  await releaseMessage(deps, reservation).catch((error: unknown) => log.error("could not give a message slot back", { userId: reservation.userId, error }));
}

/** {@link prepareChat} then {@link completeChat}: the whole message, answered as JSON. */
export async function sendChatMessage(deps: ChatDeps, userId: string, input: ChatInput, signal?: AbortSignal): Promise<ChatAnswer> {
  return completeChat(deps, await prepareChat(deps, userId, input), { signal });
}
