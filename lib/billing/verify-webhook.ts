import Stripe from "stripe";
import { z } from "zod";
import { AppError, NotConfiguredError, ValidationError } from "../errors";

export class InvalidSignatureError extends AppError {
  constructor(reason: string) {
    super("invalid_signature", `The Stripe-Signature header does not match this body: ${reason}`, { status: 400 });
  }
}

/**
 * Checks the `Stripe-Signature` header against the raw body with the endpoint's signing secret
 * (HMAC-SHA256 over `timestamp.body`, five minutes' tolerance; https://docs.stripe.com/webhooks#verify-events)
 * and returns the event. Local: no call to Stripe.
 */
export function verifyStripeEvent(rawBody: Buffer, signature: string | undefined, secret: string | undefined): Stripe.Event {
  if (!secret) throw new NotConfiguredError("billing_not_configured", "This server has no STRIPE_WEBHOOK_SECRET, so it cannot accept Stripe events.");
  if (!signature) throw new InvalidSignatureError("the header is missing");
  let event: Stripe.Event;
  try {
    event = Stripe.webhooks.constructEvent(rawBody, signature, secret);
  } catch (error) {
    throw new InvalidSignatureError((error as Error).message);
  }
  // constructEvent checks the signature, not the shape: what the event handling reads must be there.
  if (!eventEnvelope.safeParse(event).success) throw new ValidationError("The Stripe event does not have the shape Stripe sends.");
  return event;
}

/** The fields of an event (https://docs.stripe.com/api/events/object) that apply-event relies on. */
const eventEnvelope = z.object({
  id: z.string().min(1).max(255),
  type: z.string().min(1).max(255),
  created: z.number().optional(),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});
