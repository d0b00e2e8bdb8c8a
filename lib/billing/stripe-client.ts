import Stripe from "stripe";
import { getConfig, type Config } from "../config";

/** Stripe settings as `lib/config.ts` reads them. */
export type StripeSettings = Config["stripe"];

/**
 * A Stripe API client, or `undefined` when no secret key is set (checkout then answers 501). The API
 * base URL can point at stripe-mock or a test stand-in (`STRIPE_API_URL`).
 */
export function createStripeClient(settings: StripeSettings): Stripe | undefined {
  if (!settings.secretKey) return undefined;
  const base = settings.apiUrl ? new URL(settings.apiUrl) : undefined;
  return new Stripe(settings.secretKey, {
    maxNetworkRetries: 2,
    timeout: 10_000,
    ...(base ? { host: base.hostname, port: base.port || (base.protocol === "http:" ? 80 : 443), protocol: base.protocol === "http:" ? "http" : "https" } : {}),
  });
}

let client: { settings: StripeSettings; stripe: Stripe | undefined } | undefined;

/** The process-wide client, made on first use from `getConfig().stripe` (and again if the configuration is reloaded). */
export function getStripe(): Stripe | undefined {
  const settings = getConfig().stripe;
  if (client?.settings !== settings) client = { settings, stripe: createStripeClient(settings) };
  return client.stripe;
}
