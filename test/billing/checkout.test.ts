import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetConfig } from "../../lib/config";
import { uniqueEmail } from "../support/api";
import { useTestStack } from "../support/stack";
import { startStripeStandIn } from "../support/stripe";

const ctx = useTestStack({ consumers: false });
let stripe: Awaited<ReturnType<typeof startStripeStandIn>>;
beforeAll(async () => {
  stripe = await startStripeStandIn();
});
afterAll(() => stripe?.close());

function configureStripe(settings: Record<string, string | undefined>) {
  for (const [name, value] of Object.entries(settings)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  resetConfig();
}

const checkout = (token: string) => ctx.api.call("POST", "/api/personal/billing/checkout", { token, body: {}, headers: { origin: "http://localhost:4400" } });

describe("buying Premium", () => {
  it("answers 501 with a readable reason when this server has no Stripe settings", async () => {
    configureStripe({ STRIPE_SECRET_KEY: undefined, STRIPE_PREMIUM_PRICE_ID: undefined, STRIPE_API_URL: undefined });
    const { body } = await ctx.api.signUp(uniqueEmail("nostripe"));

    const answer = await checkout(body.token);

    expect(answer.status).toBe(501);
    expect(answer.body).toEqual({ error: "billing_not_configured", message: expect.stringContaining("STRIPE_SECRET_KEY") });
  });

  it("returns a Stripe Checkout URL for a subscription that names the buyer", async () => {
    configureStripe({ STRIPE_SECRET_KEY: "sk_test_standin", STRIPE_PREMIUM_PRICE_ID: "price_premium_monthly", STRIPE_API_URL: stripe.url });
    const email = uniqueEmail("buyer");
    const { body } = await ctx.api.signUp(email);

    const answer = await checkout(body.token);

    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ url: expect.stringMatching(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_/), session_id: expect.stringMatching(/^cs_/) });
    const sent = stripe.received.at(-1)!;
    expect(sent.path).toBe("/v1/checkout/sessions");
    expect(sent.authorization).toBe("Bearer sk_test_standin");
    expect(Object.fromEntries(sent.form)).toMatchObject({
      mode: "subscription",
      "line_items[0][price]": "price_premium_monthly",
      client_reference_id: body.user_id,
      customer_email: email,
      "subscription_data[metadata][user_id]": body.user_id,
      success_url: "http://localhost:4400/?billing=success",
    });
  });

  it("refuses a second purchase by someone already on Premium", async () => {
    configureStripe({ STRIPE_SECRET_KEY: "sk_test_standin", STRIPE_PREMIUM_PRICE_ID: "price_premium_monthly", STRIPE_API_URL: stripe.url });
    const { body } = await ctx.api.signUp(uniqueEmail("already"));
    await ctx.db.query("UPDATE personal.user_tiers SET tier = 'premium' WHERE user_id = $1", [body.user_id]);

    const answer = await checkout(body.token);

    expect(answer.status).toBe(409);
    expect(answer.body.error).toBe("already_premium");
  });

  it("needs a session", async () => {
    expect((await ctx.api.call("POST", "/api/personal/billing/checkout", { body: {} })).status).toBe(401);
  });
});
