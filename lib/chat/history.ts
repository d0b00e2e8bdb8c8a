/**
 * Chat history in PostgreSQL: a person's conversations and their messages. Every statement names the
 * owner, so another user's conversation id is "not found", exactly like one that does not exist.
 */
import type { Queryable } from "../db/pool";
import { storableJson, storableText } from "../db/storable-text";
import { NotFoundError } from "../errors";
import type { ChatMessage } from "./chat-model";
import type { ConversationDetail, ConversationSummary, MemoryUsed, StoredMessage } from "../api/contract";

export type { ConversationDetail, ConversationSummary, StoredMessage };

const conversationNotFound = () => new NotFoundError("There is no such conversation.", "conversation_not_found");

/** A title from the first message: its first line, cut at a word near 80 characters. */
export function conversationTitle(message: string): string {
  const line = message.trim().split("\n")[0]!.replace(/\s+/g, " ");
  if (line.length <= 80) return line;
  const cutAt = line.lastIndexOf(" ", 79);
  return `${line.slice(0, cutAt > 40 ? cutAt : 79)}…`;
}

/**
 * The last `limit` messages of the caller's conversation, oldest first, for the prompt. Throws 404 when
 * the conversation is not theirs (or does not exist).
 */
export async function recentTurns(db: Queryable, userId: string, conversationId: string, limit: number): Promise<ChatMessage[]> {
  const { rows } = await db.query<{ role: "user" | "assistant" | null; content: string | null }>(
    `SELECT m.role, m.content
       FROM personal.chat_conversations c
       LEFT JOIN LATERAL (SELECT id, role, content FROM personal.chat_messages
                           WHERE conversation_id = c.id ORDER BY id DESC LIMIT $3) m ON true
      WHERE c.id = $1 AND c.user_id = $2
      ORDER BY m.id`,
    [conversationId, userId, limit],
  );
  if (rows.length === 0) throw conversationNotFound();
  return rows.filter((row) => row.role !== null).map((row) => ({ role: row.role!, content: row.content! }));
}

/**
 * Records one exchange: the person's message and the reply, creating the conversation on its first
 * exchange. Only a reply that was given is recorded. One statement (a data-modifying WITH), so it is
 * atomic on its own and costs one round trip instead of a transaction's four: the messages are
 * inserted only for a conversation row the caller owns, so another person's id records nothing and
 * is "not found". The user's message takes the lower id (the ORDER BY), as history reads them in id order.
 */
export async function saveExchange(
  db: Queryable,
  userId: string,
  exchange: { conversationId: string; question: string; reply: string; memoriesUsed: MemoryUsed[]; model: string },
): Promise<void> {
  const saved = await db.query(
    `WITH owned AS (
       INSERT INTO personal.chat_conversations AS c (id, user_id, title) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET updated_at = now() WHERE c.user_id = EXCLUDED.user_id
       RETURNING id)
     INSERT INTO personal.chat_messages (conversation_id, role, content, memories_used, model)
     SELECT owned.id, turn.role, turn.content, turn.memories_used, turn.model
       FROM owned
      CROSS JOIN (VALUES (1, 'user', $4::text, NULL::jsonb, NULL::text),
                         (2, 'assistant', $5::text, $6::jsonb, $7::text)) AS turn(n, role, content, memories_used, model)
      ORDER BY turn.n`,
    // The memories quote the person's exports and the reply is the model's: either may hold text that
    // PostgreSQL cannot keep as it is.
    [exchange.conversationId, userId, conversationTitle(exchange.question), exchange.question, storableText(exchange.reply), storableJson(exchange.memoriesUsed), exchange.model],
  );
  if (saved.rowCount === 0) throw conversationNotFound();
}

/** The caller's conversations, most recently active first. */
export async function listConversations(db: Queryable, userId: string, limit = 50): Promise<ConversationSummary[]> {
  const { rows } = await db.query<{ id: string; title: string; created_at: Date; updated_at: Date; message_count: number }>(
    `SELECT c.id, c.title, c.created_at, c.updated_at,
            (SELECT count(*) FROM personal.chat_messages m WHERE m.conversation_id = c.id)::int AS message_count
       FROM personal.chat_conversations c
      WHERE c.user_id = $1
      ORDER BY c.updated_at DESC, c.id
      LIMIT $2`,
    [userId, limit],
  );
  return rows.map((row) => ({ ...row, created_at: row.created_at.toISOString(), updated_at: row.updated_at.toISOString() }));
}

/** One of the caller's conversations with all its messages, oldest first. */
export async function getConversation(db: Queryable, userId: string, conversationId: string): Promise<ConversationDetail> {
  const { rows } = await db.query<{
    title: string;
    created: Date;
    updated: Date;
    id: number | null;
    role: "user" | "assistant" | null;
    content: string | null;
    memories_used: MemoryUsed[] | null;
    model: string | null;
    created_at: Date | null;
  }>(
    `SELECT c.title, c.created_at AS created, c.updated_at AS updated, m.id, m.role, m.content, m.memories_used, m.model, m.created_at
       FROM personal.chat_conversations c
       LEFT JOIN personal.chat_messages m ON m.conversation_id = c.id
      WHERE c.id = $1 AND c.user_id = $2
      ORDER BY m.id`,
    [conversationId, userId],
  );
  const head = rows[0];
  if (!head) throw conversationNotFound();
  return {
    id: conversationId,
    title: head.title,
    created_at: head.created.toISOString(),
    updated_at: head.updated.toISOString(),
    messages: rows
      .filter((row) => row.id !== null)
      .map((row) => ({
        id: row.id!,
        role: row.role!,
        content: row.content!,
        created_at: row.created_at!.toISOString(),
        ...(row.role === "assistant" ? { memories_used: row.memories_used ?? [], model: row.model ?? "" } : {}),
      })),
  };
}

/** Deletes one of the caller's conversations and its messages. */
export async function deleteConversation(db: Queryable, userId: string, conversationId: string): Promise<void> {
  const { rowCount } = await db.query("DELETE FROM personal.chat_conversations WHERE id = $1 AND user_id = $2", [conversationId, userId]);
  if (rowCount === 0) throw conversationNotFound();
}

/**
 * Removes memories the vault forgot from the citations (`memories_used`, with their snippets) of the
 * owner's past answers, in the forget's transaction. The answers' own words stay: the person can delete
 * a conversation. Returns how many answers changed.
 */
export async function forgetCitedMemories(tx: Queryable, vaultId: string, memoryIds: readonly string[]): Promise<number> {
  if (memoryIds.length === 0) return 0;
  const { rowCount } = await tx.query(
    `UPDATE personal.chat_messages m
        SET memories_used = (SELECT coalesce(jsonb_agg(cited ORDER BY n), '[]'::jsonb)
                               FROM jsonb_array_elements(m.memories_used) WITH ORDINALITY AS t(cited, n)
                              WHERE NOT (cited->>'id' = ANY($2::text[])))
       FROM personal.chat_conversations c, personal.vaults v
      WHERE c.id = m.conversation_id AND v.user_id = c.user_id AND v.id = $1 AND m.memories_used IS NOT NULL
        AND EXISTS (SELECT 1 FROM jsonb_array_elements(m.memories_used) AS cited WHERE cited->>'id' = ANY($2::text[]))`,
    [vaultId, memoryIds],
  );
  return rowCount ?? 0;
}
