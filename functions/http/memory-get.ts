import { z } from "zod";
import { httpHandler } from "../../lib/http/handler";
import { parsePathParameters, type HttpEvent } from "../../lib/http/request";
import { json } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";
import { getRetrievalDeps } from "../../lib/search/deps";
import { getMemory } from "../../lib/search/retrieve";
import { requireFeature } from "../../lib/tiers/features";

const path = z.object({ memory_id: z.string().max(64) });

/** GET /api/personal/vault/memories/{memory_id} → the memory and its neighbours in its conversation. Premium. */
export async function main(event: HttpEvent) {
  const deps = getRetrievalDeps();
  const user = await requireUser(deps.db, event);
  await requireFeature(deps.db, user.userId, "memory_search");
  const { memory_id } = parsePathParameters(event, path);
  return json(200, await getMemory(deps, user.userId, memory_id));
}

export const handler = httpHandler(main);
