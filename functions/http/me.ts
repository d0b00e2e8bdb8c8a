import { describeAccount } from "../../lib/accounts/accounts";
import { getConfig } from "../../lib/config";
import { getPool } from "../../lib/db/pool";
import { httpHandler } from "../../lib/http/handler";
import type { HttpEvent } from "../../lib/http/request";
import { answer } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";
import { getStore } from "../../lib/store/client";
import { describeUsage, systemClock } from "../../lib/tiers/usage";

/** GET /api/personal/me → {user_id, email, tier, vault: {prefix, status, node_count, total_bytes}, usage: {…as /usage}}. */
export async function main(event: HttpEvent) {
  const db = getPool();
  const user = await requireUser(db, event);
  const account = await describeAccount({ db, store: getStore() }, user.userId);
  const usage = await describeUsage({ db, plans: getConfig().tiers }, user.userId, systemClock());
  return answer("GET /api/personal/me", 200, { ...account, usage });
}

export const handler = httpHandler(main);
