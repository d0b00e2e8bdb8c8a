import { describe, expect, it } from "vitest";
import { loadConfig } from "../../lib/config";
import { DEFAULT_TIER_PLANS } from "../../lib/tiers/plans";
import { contextWindow, hasFeature, parseTierPlans, vaultLimitBytes } from "../../lib/tiers/tiers";

const copy = () => structuredClone(DEFAULT_TIER_PLANS) as any;

describe("tier plans", () => {
  it("ship free at 20 a day and 100 MB, premium unlimited, 10 GB and 20 USD", () => {
    const plans = loadConfig({}).tiers;

    expect(plans.free).toMatchObject({ messages_per_day: 20, upload_enabled: true, max_vault_size_mb: 100, price_monthly_usd: 0 });
    expect(plans.premium).toMatchObject({ messages_per_day: null, upload_enabled: true, max_vault_size_mb: 10_000, price_monthly_usd: 20 });
    expect(hasFeature(plans, "premium", "memory_search")).toBe(true);
    expect(hasFeature(plans, "free", "memory_search")).toBe(false);
    expect(contextWindow(plans, "free")).toBe("context_window_1m");
    expect(contextWindow(plans, "premium")).toBe("context_window_2m");
    expect(vaultLimitBytes(plans.free)).toBe(100 * 1024 * 1024);
  });

  it("read -1 as unlimited", () => {
    const raw = copy();
    raw.premium.messages_per_day = -1;

    expect(parseTierPlans(raw).premium.messages_per_day).toBeNull();
  });

  it.each([
    ["a zero daily limit", (raw: any) => (raw.free.messages_per_day = 0), /free\.messages_per_day/],
    ["an unknown feature", (raw: any) => raw.premium.features.push("time_travel"), /premium\.features/],
    ["a plan without chat", (raw: any) => (raw.free.features = ["memory_upload", "context_window_1m"]), /basic_chat/],
    ["two context windows", (raw: any) => raw.free.features.push("context_window_2m"), /exactly one of context_window_1m, context_window_2m/],
    ["a missing plan", (raw: any) => delete raw.premium, /premium/],
    ["a misspelt setting", (raw: any) => (raw.free.messages_a_day = 5), /messages_a_day/],
    ["a priced free plan", (raw: any) => (raw.free.price_monthly_usd = 5), /free\.price_monthly_usd/],
  ])("refuse %s, naming the field", (_case, damage, message) => {
    const raw = copy();
    damage(raw);

    expect(() => parseTierPlans(raw)).toThrow(message);
  });

  it("fail the configuration at start when TIER_PLANS is wrong, and apply it when right", () => {
    const raw = copy();
    raw.free.messages_per_day = 5;

    expect(loadConfig({ TIER_PLANS: JSON.stringify(raw) }).tiers.free.messages_per_day).toBe(5);
    expect(() => loadConfig({ TIER_PLANS: "{not json" })).toThrow("TIER_PLANS: not JSON");
    expect(() => loadConfig({ TIER_PLANS: JSON.stringify({ free: raw.free }) })).toThrow(/TIER_PLANS: premium/);
  });
});
