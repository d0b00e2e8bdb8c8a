import { forgetPathSchema } from "../../lib/api/contract";
import { getPool } from "../../lib/db/pool";
import { restoreForget } from "../../lib/forgets/request-forget";
import { httpHandler } from "../../lib/http/handler";
import { parsePathParameters, type HttpEvent } from "../../lib/http/request";
import { answer } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";

/** POST /api/personal/vault/forgets/{forget_id}/restore → {forget, allowed_again}: a re-import may bring those memories back. */
export async function main(event: HttpEvent) {
  const db = getPool();
  const user = await requireUser(db, event);
  const { forget_id } = parsePathParameters(event, forgetPathSchema);
  return answer("POST /api/personal/vault/forgets/{forget_id}/restore", 200, await restoreForget(db, user.userId, forget_id));
}

export const handler = httpHandler(main);
