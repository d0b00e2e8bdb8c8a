import { getPool } from "../../lib/db/pool";
import { httpHandler } from "../../lib/http/handler";
import type { HttpEvent } from "../../lib/http/request";
import { answer } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";
import { listAccessTokens } from "../../lib/tokens/access-tokens";

/** GET /api/personal/tokens → {tokens: [...]}: the live tokens, without the secrets. */
export async function main(event: HttpEvent) {
  const db = getPool();
  const user = await requireUser(db, event);
  return answer("GET /api/personal/tokens", 200, { tokens: await listAccessTokens(db, user.userId) });
}

export const handler = httpHandler(main);
