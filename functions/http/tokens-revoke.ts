import { tokenPathSchema } from "../../lib/api/contract";
import { getPool } from "../../lib/db/pool";
import { httpHandler } from "../../lib/http/handler";
import { parsePathParameters, type HttpEvent } from "../../lib/http/request";
import { noContent } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";
import { revokeAccessToken } from "../../lib/tokens/access-tokens";

/** DELETE /api/personal/tokens/{token_id} → 204; the token stops working at once. */
export async function main(event: HttpEvent) {
  const db = getPool();
  const user = await requireUser(db, event);
  const { token_id } = parsePathParameters(event, tokenPathSchema);
  await revokeAccessToken(db, user.userId, token_id);
  return noContent();
}

export const handler = httpHandler(main);
