import { getConfig } from "../config";
import type pg from "pg";
import { deriveTier } from "../billing/apply-event";
import type { Queryable } from "../db/pool";
import { withTransaction } from "../db/transaction";
import { AppError } from "../errors";
import { asTier, hasFeature, type Feature, type Tier, type TierPlans } from "./tiers";

/**
 * Server-side feature checks: a feature is allowed when the caller's plan (`personal.user_tiers.tier`,
 * the plans of `lib/config.ts`) names it. A user without a tier row is on the free tier.
 */
export class FeatureNotInPlanError extends AppError {
  constructor(plans: TierPlans, feature: Feature, tier: Tier) {
    const holders = (Object.keys(plans) as Tier[]).filter((name) => hasFeature(plans, name, feature)).map((name) => plans[name].name);
    const needed = holders.length > 0 ? `is part of the ${holders.join(" and ")} plan` : "is not part of any plan";
    super("feature_not_in_plan", `${FEATURE_NAMES[feature] ?? feature} ${needed}; your account is on the ${plans[tier].name} plan.`, { status: 403, fields: { feature } });
  }
}

const FEATURE_NAMES: Partial<Record<Feature, string>> = {
  basic_chat: "Chat",
  memory_upload: "Uploading exports",
  memory_search: "Memory search",
};

/** The caller's tier. */
export async function userTier(db: Queryable, userId: string): Promise<Tier> {
  const { rows } = await db.query<{ tier: string }>("SELECT tier FROM personal.user_tiers WHERE user_id = $1", [userId]);
  return asTier(rows[0]?.tier);
}

/** Throws {@link FeatureNotInPlanError} (403 `feature_not_in_plan`, with `feature`) unless the caller's plan includes `feature`. */
export async function requireFeature(db: Queryable, userId: string, feature: Feature, plans: TierPlans = getConfig().tiers): Promise<void> {
  const tier = await userTier(db, userId);
  if (!hasFeature(plans, tier, feature)) throw new FeatureNotInPlanError(plans, feature, tier);
}

/** The tier of the user with this (normalised) e-mail address. */
export async function userTierByEmail(db: Queryable, email: string): Promise<Tier> {
  const { rows } = await db.query<{ tier: string }>("SELECT t.tier FROM personal.users u JOIN personal.user_tiers t ON t.user_id = u.id WHERE u.email = $1", [email]);
  return asTier(rows[0]?.tier);
}

/**
 * Sets a user's tier by e-mail address (operators, `vault tier set`); false when there is no such user.
 * A tier set this way is a grant that Stripe's later events do not overwrite; `"billing"` clears the
 * grant and puts the user on whatever their subscriptions give them.
 */
export async function setTierByEmail(db: pg.Pool, email: string, tier: Tier | "billing"): Promise<boolean> {
  const address = email.trim().toLowerCase();
  if (tier !== "billing") {
    const { rowCount } = await db.query(
      `INSERT INTO personal.user_tiers (user_id, tier, granted_tier)
       SELECT id, $2, $2 FROM personal.users WHERE email = $1
       ON CONFLICT (user_id) DO UPDATE SET tier = EXCLUDED.tier, granted_tier = EXCLUDED.granted_tier`,
      [address, tier],
    );
    return (rowCount ?? 0) > 0;
  }
  return withTransaction(db, async (tx) => {
    const { rows } = await tx.query<{ id: string }>("SELECT id FROM personal.users WHERE email = $1", [address]);
    if (!rows[0]) return false;
    // The UPDATE locks the row as a Stripe event does, so an event applied meanwhile cannot be lost in between.
    await tx.query("UPDATE personal.user_tiers SET granted_tier = NULL WHERE user_id = $1", [rows[0].id]);
    await deriveTier(tx, rows[0].id, null);
    return true;
  });
}
