import { startPremiumCheckout } from "../../lib/billing/checkout";
import { getStripe } from "../../lib/billing/stripe-client";
import { getConfig } from "../../lib/config";
import { getPool } from "../../lib/db/pool";
import { httpHandler } from "../../lib/http/handler";
import { header, type HttpEvent } from "../../lib/http/request";
import { answer } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";

/**
 * POST /api/personal/billing/checkout → {url, session_id}: the Stripe Checkout page for Premium. 501 when
 * this deployment has no Stripe settings; 409 when the caller is on Premium already.
 */
export async function main(event: HttpEvent) {
  const db = getPool();
  const user = await requireUser(db, event);
  const config = getConfig();
  // Where Checkout sends the person back: the public address, else the one they called us on.
  const returnUrl = (config.publicUrl ?? header(event, "origin") ?? `http://${header(event, "host") ?? "localhost"}`).replace(/\/+$/, "");
  const deps = { db, stripe: getStripe(), premiumPriceId: config.stripe.premiumPriceId };
  return answer("POST /api/personal/billing/checkout", 200, await startPremiumCheckout(deps, user.userId, returnUrl));
}

export const handler = httpHandler(main);
