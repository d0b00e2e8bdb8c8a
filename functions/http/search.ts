import { httpHandler } from "../../lib/http/handler";
import { parseQuery, type HttpEvent } from "../../lib/http/request";
import { answer } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";
import { searchFilters, searchQuerySchema } from "../../lib/api/contract";
import { getRetrievalDeps } from "../../lib/search/deps";
import { retrieveMemories } from "../../lib/search/retrieve";
import { requireFeature } from "../../lib/tiers/features";

/** GET /api/personal/vault/search?q=…&k=…&source=…&from=…&to=… → {results, version, took_ms}. Premium. */
export async function main(event: HttpEvent) {
  const deps = getRetrievalDeps();
  const user = await requireUser(deps.db, event);
  await requireFeature(deps.db, user.userId, "memory_search");
  const query = parseQuery(event, searchQuerySchema);
  return answer("GET /api/personal/vault/search", 200, await retrieveMemories(deps, user.userId, query.q, { k: query.k, filters: searchFilters(query) }));
}

export const handler = httpHandler(main);
