import { clearedSessionCookie, deleteSession } from "../../lib/accounts/sessions";
import { getConfig } from "../../lib/config";
import { getPool } from "../../lib/db/pool";
import { httpHandler } from "../../lib/http/handler";
import type { HttpEvent } from "../../lib/http/request";
import { noContent } from "../../lib/http/response";
import { sessionToken } from "../../lib/http/session";

/** POST /api/personal/auth/logout → 204; ends the session the request carries (if any) and clears the cookie. */
export async function main(event: HttpEvent) {
  const token = sessionToken(event);
  if (token) await deleteSession(getPool(), token);
  return noContent({ cookies: [clearedSessionCookie({ secure: getConfig().sessions.secureCookie })] });
}

export const handler = httpHandler(main);
