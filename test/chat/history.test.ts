import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { getConversation, recentTurns, saveExchange } from "../../lib/chat/history";
import { uniqueEmail } from "../support/api";
import { useTestStack } from "../support/stack";

const ctx = useTestStack({ consumers: false });

async function person(label: string): Promise<string> {
  const { rows } = await ctx.db.query<{ id: string }>("INSERT INTO personal.users (email, password_hash) VALUES ($1, 'not a real hash') RETURNING id", [uniqueEmail(label)]);
  return rows[0]!.id;
}

const memory = { id: "0123456789abcdef0123456789abcdef", conversation_title: "Shed", created_at: "2024-03-05T10:00:00.000Z", source: "openai", score: 0.5, snippet: "the spare key" };

describe("saving an exchange", () => {
  it("creates the conversation on its first exchange and keeps each question before its answer", async () => {
    const alice = await person("history-alice");
    const conversationId = randomUUID();
    await saveExchange(ctx.db, alice, { conversationId, question: "Where is the spare key?", reply: "Under the blue pot.", memoriesUsed: [memory], model: "stand-in" });
    await saveExchange(ctx.db, alice, { conversationId, question: "And the bike lock?", reply: "4711.", memoriesUsed: [], model: "stand-in" });

    expect(await recentTurns(ctx.db, alice, conversationId, 6)).toEqual([
      { role: "user", content: "Where is the spare key?" },
      { role: "assistant", content: "Under the blue pot." },
      { role: "user", content: "And the bike lock?" },
      { role: "assistant", content: "4711." },
    ]);
    const stored = await getConversation(ctx.db, alice, conversationId);
    expect(stored.title).toBe("Where is the spare key?");
    expect(stored.messages[1]).toMatchObject({ role: "assistant", memories_used: [memory], model: "stand-in" });
    expect(stored.messages[0]!.memories_used).toBeUndefined();
  });

  it("records nothing in another person's conversation: not found, and theirs is untouched", async () => {
    const alice = await person("history-owner");
    const mallory = await person("history-other");
    const conversationId = randomUUID();
    await saveExchange(ctx.db, alice, { conversationId, question: "My PIN hint?", reply: "The old lighthouse.", memoriesUsed: [], model: "stand-in" });
    const before = await ctx.db.query("SELECT updated_at FROM personal.chat_conversations WHERE id = $1", [conversationId]);

    await expect(saveExchange(ctx.db, mallory, { conversationId, question: "Injected?", reply: "Injected.", memoriesUsed: [], model: "stand-in" })).rejects.toMatchObject({ status: 404, code: "conversation_not_found" });

    const after = await ctx.db.query("SELECT user_id, updated_at FROM personal.chat_conversations WHERE id = $1", [conversationId]);
    expect(after.rows).toEqual([{ user_id: alice, updated_at: before.rows[0]!.updated_at }]);
    const messages = await ctx.db.query<{ content: string }>("SELECT content FROM personal.chat_messages WHERE conversation_id = $1 ORDER BY id", [conversationId]);
    expect(messages.rows.map((row) => row.content)).toEqual(["My PIN hint?", "The old lighthouse."]);
  });
});
