import { z } from "zod";
import { getPool } from "../../lib/db/pool";
import { httpHandler } from "../../lib/http/handler";
import { parseJsonBody, type HttpEvent } from "../../lib/http/request";
import { json } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";
import { createAccessToken } from "../../lib/tokens/access-tokens";

const body = z.object({ name: z.string().trim().min(1, "Give the token a name, e.g. the client it is for.").max(100) });

/** POST /api/personal/tokens {name} → 201 with the token, shown this once. Needs a log-in session. */
export async function main(event: HttpEvent) {
  const db = getPool();
  const user = await requireUser(db, event);
  const { name } = parseJsonBody(event, body);
  return json(201, await createAccessToken(db, user.userId, name));
}

export const handler = httpHandler(main);
