import { createTokenSchema } from "../../lib/api/contract";
import { getPool } from "../../lib/db/pool";
import { httpHandler } from "../../lib/http/handler";
import { parseJsonBody, type HttpEvent } from "../../lib/http/request";
import { answer } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";
import { createAccessToken } from "../../lib/tokens/access-tokens";

/** POST /api/personal/tokens {name} → 201 with the token, shown this once. Needs a log-in session. */
export async function main(event: HttpEvent) {
  const db = getPool();
  const user = await requireUser(db, event);
  const { name } = parseJsonBody(event, createTokenSchema);
  return answer("POST /api/personal/tokens", 201, await createAccessToken(db, user.userId, name));
}

export const handler = httpHandler(main);
