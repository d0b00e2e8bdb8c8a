import { createHash, randomBytes } from "node:crypto";
import type { AccessTokenView } from "../api/contract";
import type { Queryable } from "../db/pool";
import { ConflictError, NotFoundError } from "../errors";

/**
 * Personal access tokens: long-lived credentials a person gives an MCP client or a script. Read-only:
 * which routes accept one is declared per route in functions/manifest.ts (`acceptsAccessTokens`) and
 * enforced in one place, lib/http/session.ts. Only a SHA-256 of each token is stored; the token is shown
 * once. The `cvt_` prefix lets secret scanners and people recognise one (GitHub's scheme for its tokens).
 */
export const ACCESS_TOKEN_PREFIX = "cvt_";
const TOKEN_PATTERN = /^cvt_[A-Za-z0-9_-]{43}$/;
/** Enough for every client a person uses; bounds what a stolen session could mint. */
const MAX_LIVE_TOKENS = 50;

export type { AccessTokenView };

export interface TokenUser {
  userId: string;
  email: string;
  tokenId: string;
}

export function isAccessToken(token: string): boolean {
  return token.startsWith(ACCESS_TOKEN_PREFIX);
}

function hashOf(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

/** Creates a token; the answer is the only time the token itself is ever seen. */
export async function createAccessToken(db: Queryable, userId: string, name: string): Promise<AccessTokenView & { token: string }> {
  const token = ACCESS_TOKEN_PREFIX + randomBytes(32).toString("base64url");
  const { rows } = await db.query<{ id: string; created_at: Date; live: number }>(
    `WITH live AS (SELECT count(*)::int AS n FROM personal.access_tokens WHERE user_id = $1 AND revoked_at IS NULL)
     INSERT INTO personal.access_tokens (user_id, name, token_hash, token_prefix)
     SELECT $1, $2, $3, $4 FROM live WHERE live.n < $5
     RETURNING id, created_at`,
    [userId, name, hashOf(token), token.slice(0, 12), MAX_LIVE_TOKENS],
  );
  const row = rows[0];
  if (!row) throw new ConflictError("too_many_tokens", `You already have ${MAX_LIVE_TOKENS} access tokens. Revoke one you no longer use first.`);
  return { id: row.id, name, prefix: token.slice(0, 12), scope: "read", created_at: row.created_at.toISOString(), last_used_at: null, token };
}

/** The caller's tokens that still work, newest first (never the tokens themselves). */
export async function listAccessTokens(db: Queryable, userId: string): Promise<AccessTokenView[]> {
  const { rows } = await db.query<{ id: string; name: string; token_prefix: string; created_at: Date; last_used_at: Date | null }>(
    `SELECT id, name, token_prefix, created_at, last_used_at FROM personal.access_tokens
      WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC`,
    [userId],
  );
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    prefix: row.token_prefix,
    scope: "read",
    created_at: row.created_at.toISOString(),
    last_used_at: row.last_used_at?.toISOString() ?? null,
  }));
}

/** Revokes one of the caller's tokens at once; another user's token id is not found. */
export async function revokeAccessToken(db: Queryable, userId: string, tokenId: string): Promise<void> {
  const { rowCount } = await db.query(
    "UPDATE personal.access_tokens SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
    [tokenId, userId],
  );
  if (!rowCount) throw new NotFoundError("There is no such access token.", "token_not_found");
}

/** The user a live token belongs to, or undefined (unknown, malformed or revoked). */
export async function findAccessTokenUser(db: Queryable, token: string): Promise<TokenUser | undefined> {
  if (!TOKEN_PATTERN.test(token)) return undefined;
  const { rows } = await db.query<{ token_id: string; user_id: string; email: string }>(
    `UPDATE personal.access_tokens t SET last_used_at = now()
       FROM personal.users u
      WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.id = t.user_id
     RETURNING t.id AS token_id, u.id AS user_id, u.email`,
    [hashOf(token)],
  );
  const row = rows[0];
  return row ? { userId: row.user_id, email: row.email, tokenId: row.token_id } : undefined;
}
