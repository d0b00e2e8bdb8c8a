import { memoryPathSchema } from "../../lib/api/contract";
import { httpHandler } from "../../lib/http/handler";
import { parsePathParameters, type HttpEvent } from "../../lib/http/request";
import { answer } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";
import { getRetrievalDeps } from "../../lib/search/deps";
import { getMemory } from "../../lib/search/retrieve";
import { requireFeature } from "../../lib/tiers/features";

/** GET /api/personal/vault/memories/{memory_id} → the memory and its neighbours in its conversation. Premium. */
export async function main(event: HttpEvent) {
  const deps = getRetrievalDeps();
  const user = await requireUser(deps.db, event);
  await requireFeature(deps.db, user.userId, "memory_search");
  const { memory_id } = parsePathParameters(event, memoryPathSchema);
  return answer("GET /api/personal/vault/memories/{memory_id}", 200, await getMemory(deps, user.userId, memory_id));
}

export const handler = httpHandler(main);
