/**
 * What each tier allows, as validated configuration. The shipped values are in
 * `plans.ts`; `lib/config.ts` parses them (or a deployment's `TIER_PLANS`) with {@link parseTierPlans}
 * at cold start, so a plan that makes no sense stops the function before it serves anyone.
 */
import { z } from "zod";

export const TIER_NAMES = ["free", "premium"] as const;
export type Tier = (typeof TIER_NAMES)[number];

/** Every feature a plan can name; a plan naming anything else is a configuration error. */
export const FEATURES = [
  "basic_chat",
  "memory_upload",
  "memory_search",
  "context_window_1m",
  "context_window_2m",
  "metacognitive_mirror",
  "voice_mode",
] as const;
export type Feature = (typeof FEATURES)[number];

const CONTEXT_WINDOWS = ["context_window_1m", "context_window_2m"] as const satisfies readonly Feature[];
export type ContextWindow = (typeof CONTEXT_WINDOWS)[number];

const MB = 1024 * 1024;

const planSchema = z
  .object({
    name: z.string().trim().min(1),
    /** `null` (or `-1`, as plans are often written) is unlimited. */
    messages_per_day: z.union([z.literal(-1), z.null(), z.number().int().positive()]).transform((value) => (value === -1 ? null : value)),
    upload_enabled: z.boolean(),
    max_vault_size_mb: z.number().int().positive(),
    features: z.array(z.enum(FEATURES)).min(1),
    price_monthly_usd: z.number().nonnegative(),
  })
  .strict()
  .superRefine((plan, context) => {
    if (new Set(plan.features).size !== plan.features.length) context.addIssue({ code: "custom", path: ["features"], message: "names a feature twice" });
    if (!plan.features.includes("basic_chat")) context.addIssue({ code: "custom", path: ["features"], message: "must include basic_chat (every plan can chat)" });
    const windows = plan.features.filter((feature) => (CONTEXT_WINDOWS as readonly string[]).includes(feature));
    if (windows.length !== 1) context.addIssue({ code: "custom", path: ["features"], message: `must name exactly one of ${CONTEXT_WINDOWS.join(", ")}` });
  });

const plansSchema = z
  .object({ free: planSchema, premium: planSchema })
  .strict()
  .superRefine((plans, context) => {
    if (plans.free.price_monthly_usd !== 0) context.addIssue({ code: "custom", path: ["free", "price_monthly_usd"], message: "the free plan costs nothing" });
    if (plans.premium.max_vault_size_mb < plans.free.max_vault_size_mb) {
      context.addIssue({ code: "custom", path: ["premium", "max_vault_size_mb"], message: "premium cannot hold less than free" });
    }
  });

/** One plan as the server, the web page and the CLI see it (the wire shape of `GET /api/personal/plans`). */
export type Plan = z.infer<typeof planSchema>;
export type TierPlans = Record<Tier, Plan>;

/**
 * Validates plan definitions; throws an `Error` naming each bad field (`premium.features: …`).
 */
export function parseTierPlans(raw: unknown): TierPlans {
  const parsed = plansSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
  throw new Error(problems.join("; "));
}

/** The tier a stored value names; anything unknown is treated as free (the database CHECK makes that moot). */
export function asTier(value: string | null | undefined): Tier {
  return value === "premium" ? "premium" : "free";
}

export function hasFeature(plans: TierPlans, tier: Tier, feature: Feature): boolean {
  return plans[tier].features.includes(feature);
}

/** The plan's context window: how much memory goes into a chat prompt. */
export function contextWindow(plans: TierPlans, tier: Tier): ContextWindow {
  return plans[tier].features.find((feature): feature is ContextWindow => (CONTEXT_WINDOWS as readonly string[]).includes(feature))!;
}

export function vaultLimitBytes(plan: Plan): number {
  return plan.max_vault_size_mb * MB;
}
