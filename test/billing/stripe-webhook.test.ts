import { describe, expect, it } from "vitest";
import { getStore } from "../../lib/store/client";
import { getJson } from "../../lib/store/objects";
import { setTierByEmail } from "../../lib/tiers/features";
import { uniqueEmail } from "../support/api";
import { useTestStack } from "../support/stack";
import { checkoutCompleted, delivery, newCustomerId, newSubscriptionId, subscriptionEvent, TEST_WEBHOOK_SECRET, type Delivery } from "../support/stripe";

process.env.STRIPE_WEBHOOK_SECRET = TEST_WEBHOOK_SECRET;
const ctx = useTestStack({ consumers: false });

const post = (sent: Delivery) => ctx.api.call("POST", "/webhooks/stripe", { body: sent.body, headers: sent.headers });

async function newUser() {
  const email = uniqueEmail("billing");
  const { body } = await ctx.api.signUp(email);
  return { email, userId: body.user_id as string, token: body.token as string };
}

async function tierOf(token: string): Promise<string> {
  return (await ctx.api.call("GET", "/api/personal/usage", { token })).body.tier;
}

/** Seconds since the epoch, some time ago, so a test can lay out a history. */
const at = (minutesAgo: number) => Math.floor(Date.now() / 1000) - minutesAgo * 60;

describe("the Stripe webhook", () => {
  it("turns Premium on when a checkout completes, for the person who paid", async () => {
    const { userId, token } = await newUser();
    const other = await newUser();

    const answer = await post(delivery(checkoutCompleted({ userId, subscription: newSubscriptionId(), customer: newCustomerId(), created: at(1) })));

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ received: true, outcome: "applied", tier: "premium", userId });
    expect(await tierOf(token)).toBe("premium");
    expect(await tierOf(other.token)).toBe("free");
    const usage = await ctx.api.call("GET", "/api/personal/usage", { token });
    expect(usage.body).toMatchObject({ messages_limit: null, vault_limit_bytes: 10_000 * 1024 * 1024 });
    expect(usage.body.features).toContain("memory_search");
  });

  it.each([
    ["a signature made with another secret", (sent: Delivery) => ({ ...sent, headers: delivery(JSON.parse(sent.body), "whsec_someone_else").headers })],
    ["a body changed after signing", (sent: Delivery) => ({ ...sent, body: sent.body.replace('"paid"', '"paid" ') })],
    ["no signature at all", (sent: Delivery) => ({ ...sent, headers: { "content-type": "application/json" } })],
  ])("refuses %s with 400 and changes nothing", async (_case, tamper) => {
    const { userId, token } = await newUser();
    const sent = tamper(delivery(checkoutCompleted({ userId, subscription: newSubscriptionId(), customer: newCustomerId(), created: at(1) })));

    const answer = await post(sent);

    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: "invalid_signature", message: expect.stringContaining("Stripe-Signature") });
    expect(await tierOf(token)).toBe("free");
    const recorded = await ctx.db.query("SELECT 1 FROM personal.stripe_events WHERE event_id = $1", [sent.eventId]);
    expect(recorded.rowCount).toBe(0);
  });

  it("applies a replayed event once: the replay changes nothing that happened since", async () => {
    const { userId, token } = await newUser();
    const subscription = newSubscriptionId();
    const customer = newCustomerId();
    const paid = delivery(checkoutCompleted({ userId, subscription, customer, created: at(30) }));
    await post(paid);
    await ctx.db.query("UPDATE personal.user_tiers SET tier = 'free' WHERE user_id = $1", [userId]);

    const replay = await post(paid);

    expect(replay.status).toBe(200);
    expect(replay.body.outcome).toBe("duplicate");
    expect(await tierOf(token)).toBe("free");
    const recorded = await ctx.db.query("SELECT count(*)::int AS n FROM personal.stripe_events WHERE event_id = $1", [paid.eventId]);
    expect(recorded.rows[0].n).toBe(1);
  });

  it("keeps a cancellation when older news of the subscription arrives after it", async () => {
    const { userId, token } = await newUser();
    const subscription = newSubscriptionId();
    const customer = newCustomerId();
    const created = at(60);
    const checkout = delivery(checkoutCompleted({ userId, subscription, customer, created: created - 10 }));
    const active = delivery(subscriptionEvent("customer.subscription.updated", { id: subscription, customer, userId, status: "active", created, eventCreated: created + 60 }));
    const cancelled = delivery(
      subscriptionEvent("customer.subscription.deleted", { id: subscription, customer, userId, status: "canceled", created, canceledAt: at(5), eventCreated: at(5) }),
    );

    expect((await post(cancelled)).body).toMatchObject({ outcome: "applied", tier: "free" });
    expect((await post(active)).body.outcome).toBe("stale");
    expect((await post(checkout)).body.outcome).toBe("stale");

    expect(await tierOf(token)).toBe("free");
    const row = await ctx.db.query("SELECT tier, stripe_subscription_id, subscription_status FROM personal.user_tiers WHERE user_id = $1", [userId]);
    expect(row.rows[0]).toEqual({ tier: "free", stripe_subscription_id: subscription, subscription_status: "canceled" });
  });

  it("follows a subscription through past due (still Premium) to unpaid (Free), whatever order the news arrives in", async () => {
    const { userId, token } = await newUser();
    const subscription = newSubscriptionId();
    const customer = newCustomerId();
    const created = at(90);
    const event = (status: string, minutesAgo: number) =>
      delivery(subscriptionEvent("customer.subscription.updated", { id: subscription, customer, userId, status, created, eventCreated: at(minutesAgo) }));
    const pastDue = event("past_due", 20);
    const unpaid = event("unpaid", 10);

    await post(delivery(subscriptionEvent("customer.subscription.created", { id: subscription, customer, userId, status: "active", created, eventCreated: created })));
    await post(pastDue);
    expect(await tierOf(token)).toBe("premium");
    await post(unpaid);
    expect(await tierOf(token)).toBe("free");
    await post(event("past_due", 15));
    expect(await tierOf(token)).toBe("free");
  });

  it("makes a person Premium again when they subscribe anew after cancelling", async () => {
    const { userId, token } = await newUser();
    const customer = newCustomerId();
    const first = newSubscriptionId();
    await post(delivery(subscriptionEvent("customer.subscription.created", { id: first, customer, userId, status: "active", created: at(100), eventCreated: at(100) })));
    await post(delivery(subscriptionEvent("customer.subscription.deleted", { id: first, customer, userId, status: "canceled", created: at(100), canceledAt: at(50), eventCreated: at(50) })));
    expect(await tierOf(token)).toBe("free");

    // Stripe names the customer but our metadata is missing: the customer id we recorded finds the person.
    const second = newSubscriptionId();
    const answer = await post(delivery(subscriptionEvent("customer.subscription.created", { id: second, customer, status: "active", created: at(10), eventCreated: at(10) })));

    expect(answer.body).toMatchObject({ outcome: "applied", userId, tier: "premium" });
    expect(await tierOf(token)).toBe("premium");
  });

  it("keeps an operator's grant whatever billing says, until the operator hands the plan back to billing", async () => {
    const comped = await newUser();
    const customer = newCustomerId();
    const subscription = newSubscriptionId();
    expect(await setTierByEmail(ctx.db, comped.email, "premium")).toBe(true);

    await post(delivery(subscriptionEvent("customer.subscription.created", { id: subscription, customer, userId: comped.userId, status: "active", created: at(60), eventCreated: at(60) })));
    const cancelled = await post(
      delivery(subscriptionEvent("customer.subscription.deleted", { id: subscription, customer, userId: comped.userId, status: "canceled", created: at(60), canceledAt: at(30), eventCreated: at(30) })),
    );

    expect(cancelled.body).toMatchObject({ outcome: "applied", tier: "premium" });
    expect(await tierOf(comped.token)).toBe("premium");
    expect(await setTierByEmail(ctx.db, comped.email, "billing")).toBe(true);
    expect(await tierOf(comped.token)).toBe("free");

    // The other way round: a paying person set to free by hand stays free while they pay, and is Premium
    // again the moment billing decides.
    const paying = await newUser();
    await post(delivery(checkoutCompleted({ userId: paying.userId, subscription: newSubscriptionId(), customer: newCustomerId(), created: at(20) })));
    await setTierByEmail(ctx.db, paying.email, "free");
    await post(delivery(subscriptionEvent("customer.subscription.updated", { id: newSubscriptionId(), customer: newCustomerId(), userId: paying.userId, status: "active", created: at(10), eventCreated: at(10) })));
    expect(await tierOf(paying.token)).toBe("free");
    await setTierByEmail(ctx.db, paying.email, "billing");
    expect(await tierOf(paying.token)).toBe("premium");
  });

  it("records events it does not act on, and those about nobody it knows, without failing", async () => {
    const other = delivery({ id: `evt_other_${Date.now()}`, object: "event", type: "invoice.paid", created: at(1), data: { object: { id: "in_1", object: "invoice" } } });
    const stranger = delivery(subscriptionEvent("customer.subscription.updated", { id: newSubscriptionId(), customer: newCustomerId(), status: "active", created: at(5), eventCreated: at(1) }));

    expect((await post(other)).body).toMatchObject({ received: true, outcome: "ignored" });
    expect((await post(stranger)).body).toMatchObject({ received: true, outcome: "unknown_user" });
  });

  it("keeps everything in the vault after a downgrade, and refuses uploads past the free quota", async () => {
    const { userId, token } = await newUser();
    const subscription = newSubscriptionId();
    const customer = newCustomerId();
    await post(delivery(subscriptionEvent("customer.subscription.created", { id: subscription, customer, userId, status: "active", created: at(100), eventCreated: at(100) })));
    // What a premium user's vault might hold: more than the free plan's 100 MB.
    await ctx.db.query("UPDATE personal.vaults SET total_bytes = 150 * 1024 * 1024, node_count = 4321, current_version = 3 WHERE user_id = $1", [userId]);

    await post(delivery(subscriptionEvent("customer.subscription.deleted", { id: subscription, customer, userId, status: "canceled", created: at(100), canceledAt: at(1), eventCreated: at(1) })));

    const usage = await ctx.api.call("GET", "/api/personal/usage", { token });
    expect(usage.body).toMatchObject({ tier: "free", vault_bytes: 150 * 1024 * 1024, vault_limit_bytes: 100 * 1024 * 1024 });
    const after = await ctx.db.query("SELECT * FROM personal.vaults WHERE user_id = $1", [userId]);
    expect(after.rows[0]).toMatchObject({ total_bytes: 150 * 1024 * 1024, node_count: 4321, current_version: 3 });
    expect(await getJson(getStore(), `users/${userId}/vault.json`)).toMatchObject({ user_id: userId });
    const upload = await ctx.api.call("POST", "/api/personal/vault/uploads", { token, body: { filename: "conversations.json", size: 1024 } });
    expect(upload.status).toBe(413);
    expect(upload.body).toEqual({ error: "vault_quota_exceeded", message: expect.stringMatching(/holds 150\.0 MB.*free plan's 100 MB\. Everything in it stays/) });
  });
});
