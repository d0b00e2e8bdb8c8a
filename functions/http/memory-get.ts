import { memoryPathSchema } from "../../lib/api/contract";
import { httpHandler } from "../../lib/http/handler";
import { parsePathParameters, type HttpEvent } from "../../lib/http/request";
import { answer } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";
import { getRetrievalDeps } from "../../lib/search/deps";
import { getMemory } from "../../lib/search/retrieve";

/**
 * GET /api/personal/vault/memories/{memory_id} → the memory and its neighbours in its conversation. Every
 * plan: chat answers cite memories on the free plan too, and opening one of one's own memories by its id
 * is not searching (`memory_search` gates `GET /vault/search` and the MCP tools).
 */
export async function main(event: HttpEvent) {
  const deps = getRetrievalDeps();
  const user = await requireUser(deps.db, event);
  const { memory_id } = parsePathParameters(event, memoryPathSchema);
  return answer("GET /api/personal/vault/memories/{memory_id}", 200, await getMemory(deps, user.userId, memory_id));
}

export const handler = httpHandler(main);
