import { conversationListQuerySchema } from "../../lib/api/contract";
import { listConversations } from "../../lib/chat/history";
import { getPool } from "../../lib/db/pool";
import { httpHandler } from "../../lib/http/handler";
import { parseQuery, type HttpEvent } from "../../lib/http/request";
import { answer } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";

/** GET /api/personal/chat/conversations?limit= → {conversations: [{id, title, created_at, updated_at, message_count}]}, latest first. */
export async function main(event: HttpEvent) {
  const db = getPool();
  const user = await requireUser(db, event);
  const { limit } = parseQuery(event, conversationListQuerySchema);
  return answer("GET /api/personal/chat/conversations", 200, { conversations: await listConversations(db, user.userId, limit) });
}

export const handler = httpHandler(main);
