import { getPool } from "../../lib/db/pool";
import { listForgets } from "../../lib/forgets/request-forget";
import { httpHandler } from "../../lib/http/handler";
import type { HttpEvent } from "../../lib/http/request";
import { answer } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";

/** GET /api/personal/vault/forgets → {forgets}: what the person asked to forget, newest first, with each one's state. */
export async function main(event: HttpEvent) {
  const db = getPool();
  const user = await requireUser(db, event);
  return answer("GET /api/personal/vault/forgets", 200, { forgets: await listForgets(db, user.userId) });
}

export const handler = httpHandler(main);
