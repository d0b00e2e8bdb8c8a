/**
 * Daily message accounting. The day is the UTC day; the clock is passed in, so tests can stand either
 * side of midnight. The limit is enforced by one statement that reads and bumps the counter under the
 * row's lock (no read-then-write window), so 100 simultaneous messages from a free user get exactly
 * 20 slots; a message whose reply fails hands its slot back.
 */
import type { Usage } from "../api/contract";
import type { Queryable } from "../db/pool";
import { TooManyRequestsError, UnauthorizedError } from "../errors";
import { asTier, vaultLimitBytes, type Tier, type TierPlans } from "./tiers";

export type Clock = () => Date;
export const systemClock: Clock = () => new Date();

export interface UsageDeps {
  db: Queryable;
  plans: TierPlans;
}

/** `GET /api/personal/usage` (also inside `GET /me`), as the API contract words it. */
export type { Usage };

/** A slot taken for one message; give it back with {@link releaseMessage} if the reply fails. */
export interface MessageReservation {
  userId: string;
  /** The UTC day the slot counts against, `YYYY-MM-DD`. */
  day: string;
  tier: Tier;
  messagesUsed: number;
  messagesLimit: number | null;
  /** The vault's size when the slot was taken, for the usage the answer carries. */
  vaultBytes: number;
}

/** The UTC calendar day of `now`, `YYYY-MM-DD`. */
export function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** The first instant of the next UTC day. */
export function nextUtcMidnight(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
}

export class DailyLimitError extends TooManyRequestsError {
  constructor(used: number, limit: number, planName: string, now: Date) {
    const resetsAt = nextUtcMidnight(now);
    const wait = Math.max(1, Math.ceil((resetsAt.getTime() - now.getTime()) / 1000));
    super(
      `You have used all ${limit} messages of the ${planName} plan today. More arrive at midnight UTC (in ${formatWait(wait)}); Premium has no daily limit.`,
      wait,
      "daily_limit",
      { messages_used: used, messages_limit: limit, resets_at: resetsAt.toISOString() },
    );
  }
}

function formatWait(seconds: number): string {
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.ceil((seconds % 3600) / 60);
  return hours > 0 ? `${hours} h ${minutes} min` : `${minutes} min`;
}

/** Each tier's daily limit as JSON (`null` = unlimited), the form the reserving statement reads. */
function limitsJson(plans: TierPlans): string {
  return JSON.stringify(Object.fromEntries(Object.entries(plans).map(([tier, plan]) => [tier, plan.messages_per_day])));
}

/**
 * Takes one message slot for `userId` on the UTC day of `now`, or throws {@link DailyLimitError}.
 *
 * One `INSERT … ON CONFLICT DO UPDATE … WHERE`: PostgreSQL locks the user's row and evaluates the
 * condition on its latest version, so concurrent calls queue on the lock and each sees the count the
 * previous one left (https://www.postgresql.org/docs/current/sql-insert.html#SQL-ON-CONFLICT). A row
 * last counted on another day starts again at 1. Unlimited tiers are counted too, for the usage page.
 */
export async function reserveMessage(deps: UsageDeps, userId: string, now: Date): Promise<MessageReservation> {
  const day = utcDay(now);
  const { rows } = await deps.db.query<{ tier: string; messages_today: number; vault_bytes: number | null }>(
    `INSERT INTO personal.user_tiers AS t (user_id, messages_today, messages_reset_at) VALUES ($1, 1, $2::date)
     ON CONFLICT (user_id) DO UPDATE
        SET messages_today = CASE WHEN t.messages_reset_at = $2::date THEN t.messages_today + 1 ELSE 1 END,
            messages_reset_at = $2::date
      WHERE t.messages_reset_at <> $2::date
         OR ($3::jsonb ->> t.tier) IS NULL
         OR t.messages_today < ($3::jsonb ->> t.tier)::int
     RETURNING t.tier, t.messages_today, (SELECT v.total_bytes FROM personal.vaults v WHERE v.user_id = t.user_id) AS vault_bytes`,
    [userId, day, limitsJson(deps.plans)],
  );
  const row = rows[0];
  if (row) {
    const tier = asTier(row.tier);
    return { userId, day, tier, messagesUsed: row.messages_today, messagesLimit: deps.plans[tier].messages_per_day, vaultBytes: row.vault_bytes ?? 0 };
  }
  const usage = await describeUsage(deps, userId, now);
  throw new DailyLimitError(usage.messages_used, usage.messages_limit ?? usage.messages_used, deps.plans[usage.tier].name, now);
}

/**
 * Gives a slot back after a reply failed. Only on the day it was taken: after midnight the count has
 * started again and that slot is no longer in it.
 */
export async function releaseMessage(deps: Pick<UsageDeps, "db">, reservation: MessageReservation): Promise<void> {
  await deps.db.query(
    `UPDATE personal.user_tiers SET messages_today = messages_today - 1
      WHERE user_id = $1 AND messages_reset_at = $2::date AND messages_today > 0`,
    [reservation.userId, reservation.day],
  );
}

/** The user's plan, today's count and the vault's size against the plan's limits. */
export async function describeUsage(deps: UsageDeps, userId: string, now: Date): Promise<Usage> {
  const { rows } = await deps.db.query<{ tier: string | null; messages_used: number; vault_bytes: number | null }>(
    `SELECT t.tier,
            CASE WHEN t.messages_reset_at = $2::date THEN t.messages_today ELSE 0 END AS messages_used,
            v.total_bytes AS vault_bytes
       FROM personal.users u
       LEFT JOIN personal.user_tiers t ON t.user_id = u.id
       LEFT JOIN personal.vaults v ON v.user_id = u.id
      WHERE u.id = $1`,
    [userId, utcDay(now)],
  );
  const row = rows[0];
  if (!row) throw new UnauthorizedError();
  return usageOf(deps.plans, asTier(row.tier), row.messages_used ?? 0, row.vault_bytes ?? 0, now);
}

/**
 * The usage after the message that took `reservation`, as {@link describeUsage} would tell it, without
 * asking the database again: the reserving statement returned the count and the vault's size. If the
 * UTC day changed since (a reply that ran past midnight), the new day's usage is read instead.
 */
export async function usageAfterMessage(deps: UsageDeps, reservation: MessageReservation, now: Date): Promise<Usage> {
  if (utcDay(now) !== reservation.day) return describeUsage(deps, reservation.userId, now);
  return usageOf(deps.plans, reservation.tier, reservation.messagesUsed, reservation.vaultBytes, now);
}

function usageOf(plans: TierPlans, tier: Tier, used: number, vaultBytes: number, now: Date): Usage {
  const plan = plans[tier];
  return {
    tier,
    messages_used: used,
    messages_limit: plan.messages_per_day,
    messages_remaining: plan.messages_per_day === null ? null : Math.max(0, plan.messages_per_day - used),
    resets_at: nextUtcMidnight(now).toISOString(),
    vault_bytes: vaultBytes,
    vault_limit_bytes: vaultLimitBytes(plan),
    features: [...plan.features],
  };
}
