import { sessionCookie } from "../../lib/accounts/sessions";
import { getConfig } from "../../lib/config";
import { answer, type HttpResult } from "../../lib/http/response";

/** Sign-up and log-in answer alike: the session as an HttpOnly cookie for browsers, and as a token for other clients. */
export function sessionResponse(route: "POST /api/personal/auth/signup" | "POST /api/personal/auth/login", status: number, account: { userId: string; email: string; session: { token: string; expiresAt: Date } }): HttpResult {
  const { sessions } = getConfig();
  const maxAgeSeconds = Math.max(0, Math.floor((account.session.expiresAt.getTime() - Date.now()) / 1000));
  return answer(
    route,
    status,
    { user_id: account.userId, email: account.email, token: account.session.token, expires_at: account.session.expiresAt.toISOString() },
    { cookies: [sessionCookie(account.session.token, { maxAgeSeconds, secure: sessions.secureCookie })] },
  );
}
