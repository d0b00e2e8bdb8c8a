import { routes } from "../../functions/manifest";
import type { Queryable } from "../db/pool";
import { ForbiddenError, UnauthorizedError } from "../errors";
import { findSession, SESSION_COOKIE } from "../accounts/sessions";
import { findAccessTokenUser, isAccessToken } from "../tokens/access-tokens";
import { bearerToken, cookie, type HttpEvent } from "./request";

/** The session token a request carries: the `session_id` cookie (browser) or `Authorization: Bearer` (CLI). */
export function sessionToken(event: HttpEvent): string | undefined {
  return bearerToken(event) ?? cookie(event, SESSION_COOKIE);
}

export interface RequestUser {
  userId: string;
  email: string;
  /** How the request proved who it is: a log-in session, or a (read-only) personal access token. */
  via: "session" | "access_token";
}

/** Route keys (`GET /path`, as API Gateway names them) that a personal access token may call. */
const tokenRoutes = new Set(routes.filter((route) => route.acceptsAccessTokens).map((route) => `${route.method} ${route.path}`));

/**
 * The signed-in user, or a 401. Every route that touches a vault starts here, and this is the one place
 * the access-token scope is enforced: a personal access token works only on routes the manifest marks
 * `acceptsAccessTokens` (reads), and any other route answers 403, so a token can never upload, delete
 * or change the account.
 */
export async function requireUser(db: Queryable, event: HttpEvent): Promise<RequestUser> {
  const token = sessionToken(event);
  if (token && isAccessToken(token)) {
    const user = await findAccessTokenUser(db, token);
    if (!user) throw new UnauthorizedError("This access token is not valid, or it was revoked.", "invalid_token");
    if (!tokenRoutes.has(event.routeKey)) {
      throw new ForbiddenError("Access tokens are read-only: log in to do this.", "token_not_allowed");
    }
    return { userId: user.userId, email: user.email, via: "access_token" };
  }
  const user = token ? await findSession(db, token) : undefined;
  if (!user) throw new UnauthorizedError("Your session has ended or is not valid. Log in again.");
  return { userId: user.userId, email: user.email, via: "session" };
}
