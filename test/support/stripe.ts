/**
 * Signed Stripe webhook deliveries for tests, made with the stripe library's own
 * `generateTestHeaderString` (https://github.com/stripe/stripe-node#testing-webhook-signing), and a
 * stand-in for the one Stripe API call the server makes (creating a Checkout Session).
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";

export const TEST_WEBHOOK_SECRET = "whsec_test_secret_for_signed_payloads";

let sequence = 0;
const nextId = (prefix: string) => `${prefix}_test_${process.pid}_${Date.now()}_${++sequence}`;

export interface Delivery {
  body: string;
  headers: Record<string, string>;
  eventId: string;
}

/** An event as Stripe would POST it, with a valid `Stripe-Signature` (or one made with `secret`). */
export function delivery(event: Record<string, unknown>, secret = TEST_WEBHOOK_SECRET): Delivery {
  const body = JSON.stringify(event);
  const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret });
  return { body, headers: { "content-type": "application/json", "stripe-signature": signature }, eventId: String(event.id) };
}

function envelope(type: string, object: Record<string, unknown>, created: number) {
  return { id: nextId("evt"), object: "event", api_version: "2026-10-28.endive", created, livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null }, type, data: { object } };
}

export function checkoutCompleted(options: { userId: string; subscription: string; customer: string; created: number; paid?: boolean }) {
  return envelope(
    "checkout.session.completed",
    {
      id: nextId("cs"),
      object: "checkout.session",
      mode: "subscription",
      status: "complete",
      payment_status: options.paid === false ? "unpaid" : "paid",
      client_reference_id: options.userId,
      customer: options.customer,
      subscription: options.subscription,
      metadata: { user_id: options.userId },
      created: options.created,
    },
    options.created + 5,
  );
}

export function subscriptionEvent(
  type: "customer.subscription.created" | "customer.subscription.updated" | "customer.subscription.deleted",
  options: { id: string; customer: string; userId?: string; status: string; created: number; periodStart?: number; canceledAt?: number; eventCreated: number },
) {
  return envelope(
    type,
    {
      id: options.id,
      object: "subscription",
      customer: options.customer,
      status: options.status,
      created: options.created,
      start_date: options.created,
      canceled_at: options.canceledAt ?? null,
      ended_at: type === "customer.subscription.deleted" ? (options.canceledAt ?? options.eventCreated) : null,
      items: { object: "list", data: [{ id: nextId("si"), object: "subscription_item", current_period_start: options.periodStart ?? options.created }] },
      metadata: options.userId ? { user_id: options.userId } : {},
    },
    options.eventCreated,
  );
}

export const newSubscriptionId = () => nextId("sub");
export const newCustomerId = () => nextId("cus");

/** A stand-in for `POST /v1/checkout/sessions`; records what it was sent (form-encoded, as Stripe takes it). */
export async function startStripeStandIn() {
  const received: Array<{ path: string; authorization?: string; form: URLSearchParams }> = [];
  const server = createServer(async (request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
    received.push({ path: request.url ?? "", authorization: request.headers.authorization, form });
    if (request.method === "POST" && request.url === "/v1/checkout/sessions") {
      const id = nextId("cs");
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ id, object: "checkout.session", mode: "subscription", url: `https://checkout.stripe.com/c/pay/${id}` }));
      return;
    }
    response.writeHead(404, { "content-type": "application/json" });
    response.end(JSON.stringify({ error: { type: "invalid_request_error", message: `Unrecognized request URL (${request.method}: ${request.url})` } }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
