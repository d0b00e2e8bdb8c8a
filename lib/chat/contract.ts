/**
 * The chat API's wire contract, written once: what `POST /api/personal/chat` accepts. The server, the
 * CLI and the tests import it; the answer's shape is `ChatAnswer` (send-message.ts).
 */
import { z } from "zod";

export const MAX_MESSAGE_CHARS = 8_000;

export const chatRequestSchema = z.object({
  message: z.string().trim().min(1, "Type a message.").max(MAX_MESSAGE_CHARS, `A message can be at most ${MAX_MESSAGE_CHARS} characters.`),
  conversation_id: z.uuid("conversation_id must be the id of one of your conversations.").optional(),
});
export type ChatRequestBody = z.infer<typeof chatRequestSchema>;

export const conversationParamsSchema = z.object({
  conversation_id: z.uuid({ message: "There is no such conversation." }),
});

export const conversationListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
