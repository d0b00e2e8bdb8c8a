import { httpHandler } from "../../lib/http/handler";
import type { HttpEvent } from "../../lib/http/request";
import { answer } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";
import { listTopics } from "../../lib/vaults/browse";
import { getBrowseDeps } from "../../lib/vaults/browse-deps";

/** GET /api/personal/vault/topics → the current version's topic clusters: labels, sizes, example titles. */
export async function main(event: HttpEvent) {
  const deps = getBrowseDeps();
  const user = await requireUser(deps.db, event);
  return answer("GET /api/personal/vault/topics", 200, await listTopics(deps, user.userId));
}

export const handler = httpHandler(main);
