import { routes } from "../../functions/manifest";
import { getConfig } from "../config";
import type { Queryable } from "../db/pool";
import { ForbiddenError, UnauthorizedError } from "../errors";
import { findSession, SESSION_COOKIE } from "../accounts/sessions";
import { findAccessTokenUser, isAccessToken } from "../tokens/access-tokens";
import { bearerToken, cookie, header, type HttpEvent } from "./request";

/**
 * The session token a request carries: `Authorization: Bearer` (CLI) or the `session_id` cookie
 * (browser). A cookie comes with every request the browser sends, whoever's page asks, so a write that
 * relies on it must come from our own site (see {@link assertSameOriginWrite}).
 */
export function sessionToken(event: HttpEvent): string | undefined {
  const bearer = bearerToken(event);
  if (bearer) return bearer;
  const fromCookie = cookie(event, SESSION_COOKIE);
  if (fromCookie !== undefined) assertSameOriginWrite(event);
  return fromCookie;
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

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * OWASP's CSRF Prevention Cheat Sheet, "verifying origin with standard headers": browsers send `Origin`
 * with every cross-origin write, so a write whose `Origin` is not this site's (its Host, or PUBLIC_URL)
 * is refused with 403. Without `Origin` the caller is not a browser page on another site; JSON bodies
 * must then still be `application/json`, which no cross-site form can send (see parseJsonBody).
 */
export function assertSameOriginWrite(event: HttpEvent): void {
  const method = (event.requestContext?.http?.method ?? "GET").toUpperCase();
  const origin = header(event, "origin");
  if (SAFE_METHODS.has(method) || origin === undefined) return;
  const allowed = new Set([header(event, "host"), hostOf(getConfig().publicUrl)].filter(Boolean));
  if (!allowed.has(hostOf(origin))) {
    throw new ForbiddenError("This request came from another site, so it was refused. Use Cogzy's own page.", "cross_site_request");
  }
}

function hostOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).host;
  } catch {
    return undefined; // "null" (sandboxed frames, some redirects) and anything unparseable match nothing
  }
}
