import { conversationParamsSchema } from "../../lib/api/contract";
import { getConversation } from "../../lib/chat/history";
import { getPool } from "../../lib/db/pool";
import { httpHandler } from "../../lib/http/handler";
import { parsePathParameters, type HttpEvent } from "../../lib/http/request";
import { answer } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";

/** GET /api/personal/chat/conversations/{conversation_id} → the conversation and its messages. Someone else's is a 404. */
export async function main(event: HttpEvent) {
  const db = getPool();
  const user = await requireUser(db, event);
  const { conversation_id } = parsePathParameters(event, conversationParamsSchema);
  return answer("GET /api/personal/chat/conversations/{conversation_id}", 200, await getConversation(db, user.userId, conversation_id));
}

export const handler = httpHandler(main);
