import { httpHandler } from "../../lib/http/handler";
import { parseQuery, type HttpEvent } from "../../lib/http/request";
import { answer } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";
import { listConversations } from "../../lib/vaults/browse";
import { getBrowseDeps } from "../../lib/vaults/browse-deps";
import { conversationsQuerySchema } from "../../lib/api/contract";

/** GET /api/personal/vault/conversations?cursor=&limit=&source= → conversations with counts and dates, newest first. */
export async function main(event: HttpEvent) {
  const deps = getBrowseDeps();
  const user = await requireUser(deps.db, event);
  const query = parseQuery(event, conversationsQuerySchema);
  return answer("GET /api/personal/vault/conversations", 200, await listConversations(deps, user.userId, query));
}

export const handler = httpHandler(main);
