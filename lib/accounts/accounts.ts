import type pg from "pg";
import { ConflictError, TooManyRequestsError, UnauthorizedError, ValidationError } from "../errors";
import { withTransaction } from "../db/transaction";
import type { Store } from "../store/client";
import type { Tier } from "../tiers/tiers";
import { vaultPrefix } from "../vaults/layout";
import { ensureVaultProvisioned, findVaultByUser, type VaultRow } from "../vaults/provision";
import { clearLoginAttempts, reserveLoginAttempt } from "./login-throttle";
import { assertSignUpAllowed, countSignUp } from "./signup-throttle";
import { assertPasswordHashingCapacity, hashPassword, passwordWeakness, verifyAgainstDecoy, verifyPassword } from "./passwords";
import { createSession } from "./sessions";

export interface AccountDeps {
  db: pg.Pool;
  store: Store;
  sessionTtlDays: number;
}

export interface Credentials {
  email: string;
  password: string;
  userAgent?: string;
  /** The caller's address as throttles key it ({@link clientAddress}). */
  client?: string;
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Creates the user, their vault row (prefix `users/{uuid}`) and their free tier in one transaction, then,
 * once committed, writes `vault.json` to the store. A store outage does not fail sign-up: the vault is
 * provisioned on first use instead (see {@link ensureVaultProvisioned}). Sign-ups are limited per client
 * address (see signup-throttle.ts), so "this address is taken" cannot be used to list accounts.
 */
export async function signUp(deps: AccountDeps, credentials: Credentials) {
  const email = normaliseEmail(credentials.email);
  const weakness = passwordWeakness(credentials.password, email);
  if (weakness) throw new ValidationError(weakness, { field: "password" });
  const client = credentials.client;
  if (client) await assertSignUpAllowed(deps.db, client);
  const passwordHash = await hashPassword(credentials.password);

  const vault = await withTransaction(deps.db, async (tx) => {
    const user = await tx.query<{ id: string }>(
      `INSERT INTO personal.users (email, password_hash) VALUES ($1, $2)
       ON CONFLICT (email) DO NOTHING RETURNING id`,
      [email, passwordHash],
    );
    const userId = user.rows[0]?.id;
    if (client) await countSignUp(tx, client, !userId);
    // Committed without a user, so the "taken" answer stays counted.
    if (!userId) return undefined;
    const created = await tx.query<VaultRow>(
      `INSERT INTO personal.vaults (user_id, bucket, prefix) VALUES ($1, $2, $3) RETURNING *`,
      [userId, deps.store.bucket, vaultPrefix(userId)],
    );
    await tx.query("INSERT INTO personal.user_tiers (user_id, tier) VALUES ($1, 'free')", [userId]);
    return created.rows[0]!;
  });
  if (!vault) throw new ConflictError("email_taken", "An account with this e-mail address already exists. Log in instead.");

  await ensureVaultProvisioned(deps.db, deps.store, vault);
  const session = await createSession(deps.db, vault.user_id, { ttlDays: deps.sessionTtlDays, userAgent: credentials.userAgent });
  return { userId: vault.user_id, email, session };
}

/**
 * Checks a password, throttled per (e-mail address, client address) (see login-throttle.ts); an unknown
 * address and a wrong password look the same, in answer and in time.
 */
export async function logIn(deps: AccountDeps, credentials: Credentials) {
  const email = normaliseEmail(credentials.email);
  const attempt = { email, client: credentials.client ?? "unknown" };
  // A burst that would queue behind the password hashes is refused before it spends the owner's attempts.
  assertPasswordHashingCapacity();
  const reservation = await reserveLoginAttempt(deps.db, attempt);
  if (!reservation.allowed) {
    const minutes = Math.ceil(reservation.retryAfterSeconds / 60);
    throw new TooManyRequestsError(
      `Too many failed log-ins for this address from your network. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`,
      reservation.retryAfterSeconds,
      "login_throttled",
    );
  }
  const { rows } = await deps.db.query<{ id: string; password_hash: string }>(
    "SELECT id, password_hash FROM personal.users WHERE email = $1",
    [email],
  );
  const user = rows[0];
  const valid = user ? await verifyPassword(credentials.password, user.password_hash) : await verifyAgainstDecoy(credentials.password);
  if (!user || !valid) throw new UnauthorizedError("The e-mail address or password is not right.", "invalid_credentials");
  await clearLoginAttempts(deps.db, attempt);
  const session = await createSession(deps.db, user.id, { ttlDays: deps.sessionTtlDays, userAgent: credentials.userAgent });
  return { userId: user.id, email, session };
}

/** The account as `GET /me` shows it; provisions the vault object if sign-up could not. */
export async function describeAccount(deps: Pick<AccountDeps, "db" | "store">, userId: string) {
  const { rows } = await deps.db.query<{ email: string; tier: Tier }>(
    `SELECT u.email, coalesce(t.tier, 'free') AS tier
       FROM personal.users u LEFT JOIN personal.user_tiers t ON t.user_id = u.id
      WHERE u.id = $1`,
    [userId],
  );
  const account = rows[0];
  const vault = await findVaultByUser(deps.db, userId);
  if (!account || !vault) throw new UnauthorizedError();
  await ensureVaultProvisioned(deps.db, deps.store, vault);
  return {
    user_id: userId,
    email: account.email,
    tier: account.tier,
    vault: { prefix: vault.prefix, status: vault.status, node_count: vault.node_count, total_bytes: vault.total_bytes },
  };
}
