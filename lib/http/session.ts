import type { Queryable } from "../db/pool";
import { UnauthorizedError } from "../errors";
import { findSession, SESSION_COOKIE, type SessionUser } from "../accounts/sessions";
import { bearerToken, cookie, type HttpEvent } from "./request";

/** The session token a request carries: the `session_id` cookie (browser) or `Authorization: Bearer` (CLI). */
export function sessionToken(event: HttpEvent): string | undefined {
  return bearerToken(event) ?? cookie(event, SESSION_COOKIE);
}

/** The signed-in user, or a 401. Every route that touches a vault starts here. */
export async function requireUser(db: Queryable, event: HttpEvent): Promise<SessionUser> {
  const token = sessionToken(event);
  const user = token ? await findSession(db, token) : undefined;
  if (!user) throw new UnauthorizedError("Your session has ended or is not valid. Log in again.");
  return user;
}
