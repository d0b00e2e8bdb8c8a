import { describeAccount } from "../../lib/accounts/accounts";
import { getPool } from "../../lib/db/pool";
import { httpHandler } from "../../lib/http/handler";
import type { HttpEvent } from "../../lib/http/request";
import { json } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";
import { getStore } from "../../lib/store/client";

/** GET /api/personal/me → {user_id, email, tier, vault: {prefix, status, node_count, total_bytes}}. */
export async function main(event: HttpEvent) {
  const db = getPool();
  const user = await requireUser(db, event);
  return json(200, await describeAccount({ db, store: getStore() }, user.userId));
}

export const handler = httpHandler(main);
