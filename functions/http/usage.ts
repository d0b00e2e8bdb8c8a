import { getConfig } from "../../lib/config";
import { getPool } from "../../lib/db/pool";
import { httpHandler } from "../../lib/http/handler";
import type { HttpEvent } from "../../lib/http/request";
import { answer } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";
import { describeUsage, systemClock } from "../../lib/tiers/usage";

/**
 * GET /api/personal/usage → {tier, messages_used, messages_limit (null = unlimited), messages_remaining,
 * resets_at, vault_bytes, vault_limit_bytes, features}.
 */
export async function main(event: HttpEvent) {
  const db = getPool();
  const user = await requireUser(db, event);
  return answer("GET /api/personal/usage", 200, await describeUsage({ db, plans: getConfig().tiers }, user.userId, systemClock()));
}

export const handler = httpHandler(main);
