import { emptyVaultSchema } from "../../lib/api/contract";
import { getPool } from "../../lib/db/pool";
import { clientAddress } from "../../lib/http/client-address";
import { httpHandler } from "../../lib/http/handler";
import { parseJsonBody, type HttpEvent } from "../../lib/http/request";
import { answer } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";
import { getConfig } from "../../lib/config";
import { getSqs } from "../../lib/queues/client";
import { getStore } from "../../lib/store/client";
import { emptyVault } from "../../lib/vaults/empty-vault";

/** DELETE /api/personal/vault {password} → 202 {version, cancelled_uploads}: every memory, upload and file of the vault deleted; the account stays. */
export async function main(event: HttpEvent) {
  const db = getPool();
  const user = await requireUser(db, event);
  const { password } = parseJsonBody(event, emptyVaultSchema);
  const deps = { db, store: getStore(), sqs: getSqs(), reduceQueueUrl: getConfig().queues.reduceUrl };
  return answer("DELETE /api/personal/vault", 202, await emptyVault(deps, user.userId, { password, client: clientAddress(event) }));
}

export const handler = httpHandler(main);
