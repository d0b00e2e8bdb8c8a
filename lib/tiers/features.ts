import { getConfig } from "../config";
import type { Queryable } from "../db/pool";
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

/** Sets a user's tier by e-mail address (operators, `vault tier set`); false when there is no such user. */
export async function setTierByEmail(db: Queryable, email: string, tier: Tier): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO personal.user_tiers (user_id, tier)
     SELECT id, $2 FROM personal.users WHERE email = $1
     ON CONFLICT (user_id) DO UPDATE SET tier = EXCLUDED.tier`,
    [email.trim().toLowerCase(), tier],
  );
  return (rowCount ?? 0) > 0;
}
