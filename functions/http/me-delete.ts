import { deleteAccount } from "../../lib/accounts/delete-account";
import { clearedSessionCookie } from "../../lib/accounts/sessions";
import { getConfig } from "../../lib/config";
import { getPool } from "../../lib/db/pool";
import { clientAddress } from "../../lib/http/client-address";
import { httpHandler } from "../../lib/http/handler";
import { parseJsonBody, type HttpEvent } from "../../lib/http/request";
import { noContent } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";
import { getStore } from "../../lib/store/client";
import { deleteAccountSchema } from "../../lib/api/contract";

/** DELETE /api/personal/me {password} → 204: the account, its vault and every file and row of it are deleted. */
export async function main(event: HttpEvent) {
  const db = getPool();
  const user = await requireUser(db, event);
  const { password } = parseJsonBody(event, deleteAccountSchema);
  await deleteAccount({ db, store: getStore() }, user.userId, { password, client: clientAddress(event) });
  return noContent({ cookies: [clearedSessionCookie({ secure: getConfig().sessions.secureCookie })] });
}

export const handler = httpHandler(main);
