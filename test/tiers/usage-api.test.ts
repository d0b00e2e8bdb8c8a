import { describe, expect, it } from "vitest";
import { uniqueEmail } from "../support/api";
import { useTestStack } from "../support/stack";

const ctx = useTestStack({ consumers: false });

describe("usage and plans", () => {
  it("shows a new free user's day and vault against the plan's limits", async () => {
    const { body } = await ctx.api.signUp(uniqueEmail("usage"));

    const answer = await ctx.api.call("GET", "/api/personal/usage", { token: body.token });

    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      tier: "free",
      messages_used: 0,
      messages_limit: 20,
      messages_remaining: 20,
      resets_at: expect.stringMatching(/T00:00:00\.000Z$/),
      vault_bytes: 0,
      vault_limit_bytes: 100 * 1024 * 1024,
      features: ["basic_chat", "memory_upload", "context_window_1m"],
    });
    expect(Date.parse(answer.body.resets_at) - Date.now()).toBeLessThanOrEqual(24 * 3600 * 1000);
    expect(Date.parse(answer.body.resets_at)).toBeGreaterThan(Date.now());
  });

  it("is part of GET /me", async () => {
    const { body } = await ctx.api.signUp(uniqueEmail("me-usage"));

    const me = await ctx.api.me(body.token);
    const usage = await ctx.api.call("GET", "/api/personal/usage", { token: body.token });

    expect(me.body.usage).toEqual(usage.body);
  });

  it("needs a session", async () => {
    expect((await ctx.api.call("GET", "/api/personal/usage")).status).toBe(401);
  });

  it("publishes the plans the server enforces, without a session", async () => {
    const answer = await ctx.api.call("GET", "/api/personal/plans");

    expect(answer.status).toBe(200);
    expect(answer.body.free).toMatchObject({ name: "Free", messages_per_day: 20, max_vault_size_mb: 100, price_monthly_usd: 0 });
    expect(answer.body.premium).toMatchObject({ name: "Premium", messages_per_day: null, max_vault_size_mb: 10_000, price_monthly_usd: 20 });
  });
});
