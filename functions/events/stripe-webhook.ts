import { applyStripeEvent } from "../../lib/billing/apply-event";
import { verifyStripeEvent } from "../../lib/billing/verify-webhook";
import { getConfig } from "../../lib/config";
import { getPool } from "../../lib/db/pool";
import { httpHandler } from "../../lib/http/handler";
import { assertStorableText, header, rawBody, type HttpEvent } from "../../lib/http/request";
import { json } from "../../lib/http/response";

/**
 * POST /webhooks/stripe: a Stripe event, signed. 400 on a bad signature; 200 once recorded, also for a
 * replay or an event that changes nothing (Stripe retries anything else for days).
 */
export async function main(event: HttpEvent) {
  const stripeEvent = verifyStripeEvent(rawBody(event), header(event, "stripe-signature"), getConfig().stripe.webhookSecret);
  assertStorableText(stripeEvent);
  const applied = await applyStripeEvent(getPool(), stripeEvent);
  return json(200, { received: true, ...applied });
}

export const handler = httpHandler(main);
