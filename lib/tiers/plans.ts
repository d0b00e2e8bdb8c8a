/**
 * The plans as shipped. This is the one source of truth: the server
 * enforces it, `GET /api/personal/plans` serves it to the web page, and the CLI prints it from there.
 * A deployment may replace it with `TIER_PLANS` (JSON of the same shape), validated at cold start by
 * `parseTierPlans`.
 */
export const DEFAULT_TIER_PLANS = {
  free: {
    name: "Free",
    messages_per_day: 20,
    // The hook: memory is what a free user comes for, so uploads are on.
    upload_enabled: true,
    max_vault_size_mb: 100,
    features: ["basic_chat", "memory_upload", "context_window_1m"],
    price_monthly_usd: 0,
  },
  premium: {
    name: "Premium",
    messages_per_day: null,
    upload_enabled: true,
    max_vault_size_mb: 10_000,
    features: ["basic_chat", "memory_upload", "context_window_2m", "memory_search", "metacognitive_mirror", "voice_mode"],
    price_monthly_usd: 20,
  },
} as const;
