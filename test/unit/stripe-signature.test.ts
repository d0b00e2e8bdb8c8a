import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { verifyStripeEvent } from "../../lib/billing/verify-webhook";
import { loadConfig } from "../../lib/config";

const secret = "whsec_unit_test_secret";
const body = JSON.stringify({ id: "evt_1", object: "event", type: "customer.subscription.updated", created: 1_700_000_000, data: { object: {} } });

describe("Stripe signatures", () => {
  it("accept the library's own signed test header and return the event", () => {
    const header = Stripe.webhooks.generateTestHeaderString({ payload: body, secret });

    expect(verifyStripeEvent(Buffer.from(body), header, secret)).toMatchObject({ id: "evt_1", type: "customer.subscription.updated" });
  });

  it("refuse a delivery signed longer ago than Stripe's five-minute tolerance, as a replay", () => {
    const header = Stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: Math.floor(Date.now() / 1000) - 600 });

    expect(() => verifyStripeEvent(Buffer.from(body), header, secret)).toThrow(expect.objectContaining({ code: "invalid_signature", status: 400 }));
  });

  it("are checked with a fixed secret locally, and not at all in production until one is set (501)", () => {
    const production = { APP_ENV: "production", AWS_REGION: "eu-west-1", DATABASE_URL: "postgres://db/x", STORE_PROVIDER: "s3", STORE_REGION: "r", STORE_BUCKET: "b", INGEST_QUEUE_URL: "q", EMBED_QUEUE_URL: "q", REDUCE_QUEUE_URL: "q", EMBEDDER_URL: "https://e.example", EMBEDDER_API_KEY: "k", B2_WEBHOOK_SECRET: "a-signing-secret-of-some-length" };

    expect(loadConfig({}).stripe.webhookSecret).toMatch(/^whsec_local/);
    expect(loadConfig({ ...production, STRIPE_WEBHOOK_SECRET: "" }).stripe.webhookSecret).toBeUndefined();
    expect(() => verifyStripeEvent(Buffer.from(body), "t=1,v1=00", undefined)).toThrow(expect.objectContaining({ code: "billing_not_configured", status: 501, expose: true }));
  });
});
