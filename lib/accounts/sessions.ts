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

/**
 * The live session a token belongs to, or `undefined` (unknown, or expired). `last_seen_at` is moved on
 * at most every five minutes: writing it on every request would make each read a write (and a WAL
 * flush), which is most of what an authenticated GET costs.
 */
export async function findSession(db: Queryable, token: string): Promise<SessionUser | undefined> {
  // Tokens are base64url of 32 bytes: reject anything else before touching the database.
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
  const { rows } = await db.query<{ session_id: string; user_id: string; email: string }>(
    `WITH found AS (
       SELECT s.id AS session_id, u.id AS user_id, u.email, s.last_seen_at
         FROM personal.sessions s JOIN personal.users u ON u.id = s.user_id
        WHERE s.token_hash = $1 AND s.expires_at > now()
     ), touched AS (
       UPDATE personal.sessions s SET last_seen_at = now()
         FROM found WHERE s.id = found.session_id AND found.last_seen_at < now() - interval '5 minutes'
     )
     SELECT session_id, user_id, email FROM found`,
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
