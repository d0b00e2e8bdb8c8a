import { getPool } from "../../lib/db/pool";
import { httpHandler } from "../../lib/http/handler";
import type { HttpEvent } from "../../lib/http/request";
import { answer } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";
import { describeVaultStatus } from "../../lib/vaults/status";

/** GET /api/personal/vault/status: vault figures and recent uploads. */
export async function main(event: HttpEvent) {
  const db = getPool();
  const user = await requireUser(db, event);
  return answer("GET /api/personal/vault/status", 200, await describeVaultStatus(db, user.userId));
}

export const handler = httpHandler(main);
