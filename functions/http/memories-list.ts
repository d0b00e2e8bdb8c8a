import { httpHandler } from "../../lib/http/handler";
import { parseQuery, type HttpEvent } from "../../lib/http/request";
import { answer } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";
import { listMemories } from "../../lib/vaults/browse";
import { getBrowseDeps } from "../../lib/vaults/browse-deps";
import { memoriesQuerySchema } from "../../lib/api/contract";

/** GET /api/personal/vault/memories?cursor=&limit=&source=&conversation_id=&cluster= → a page of memories, newest first. */
export async function main(event: HttpEvent) {
  const deps = getBrowseDeps();
  const user = await requireUser(deps.db, event);
  const query = parseQuery(event, memoriesQuerySchema);
  return answer("GET /api/personal/vault/memories", 200, await listMemories(deps, user.userId, query));
}

export const handler = httpHandler(main);
