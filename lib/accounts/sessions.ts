import { createHash, randomBytes } from "node:crypto";
import type { Queryable } from "../db/pool";

export const SESSION_COOKIE = "session_id";

/** 256-bit random tokens; only their SHA-256 is stored, so the table alone cannot be used to log in. */
export function newSessionToken(): string {
  return randomBytes(32).toString("base64url");
}

function tokenHash(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

export async function createSession(db: Queryable, userId: string, options: { ttlDays: number; userAgent?: string }) {
  const token = newSessionToken();
  const { rows } = await db.query<{ expires_at: Date }>(
    `INSERT INTO personal.sessions (user_id, token_hash, expires_at, user_agent)
     VALUES ($1, $2, now() + make_interval(days => $3), $4)
     RETURNING expires_at`,
    [userId, tokenHash(token), options.ttlDays, options.userAgent?.slice(0, 300) ?? null],
  );
  return { token, expiresAt: rows[0]!.expires_at };
}

export interface SessionUser {
  sessionId: string;
  userId: string;
  email: string;
}

/** The live session a token belongs to, or `undefined` (unknown, or expired). */
export async function findSession(db: Queryable, token: string): Promise<SessionUser | undefined> {
  // Tokens are base64url of 32 bytes: reject anything else before touching the database.
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
  const { rows } = await db.query<{ session_id: string; user_id: string; email: string }>(
    `UPDATE personal.sessions s SET last_seen_at = now()
       FROM personal.users u
      WHERE s.token_hash = $1 AND s.expires_at > now() AND u.id = s.user_id
     RETURNING s.id AS session_id, u.id AS user_id, u.email`,
    [tokenHash(token)],
  );
  const row = rows[0];
  return row ? { sessionId: row.session_id, userId: row.user_id, email: row.email } : undefined;
}

export async function deleteSession(db: Queryable, token: string): Promise<void> {
  await db.query("DELETE FROM personal.sessions WHERE token_hash = $1", [tokenHash(token)]);
}

/** `Set-Cookie` value for a session; `Secure` everywhere but local HTTP. */
export function sessionCookie(token: string, options: { maxAgeSeconds: number; secure: boolean }): string {
  const parts = [`${SESSION_COOKIE}=${token}`, "Path=/", "HttpOnly", "SameSite=Lax", `Max-Age=${options.maxAgeSeconds}`];
  if (options.secure) parts.push("Secure");
  return parts.join("; ");
}

export function clearedSessionCookie(options: { secure: boolean }): string {
  return sessionCookie("", { maxAgeSeconds: 0, secure: options.secure });
}
