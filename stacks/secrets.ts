/**
 * Per-stage settings, set once with `sst secret set <Name> <value> --stage <stage>`. They reach every
 * function as the environment variables `lib/config.ts` reads, which fails a cold start naming any that
 * is missing.
 */
export function secrets() {
  const setting = (name: string, placeholder?: string) => new sst.Secret(name, placeholder);
  const values = {
    DATABASE_URL: setting("DatabaseUrl"),
    STORE_PROVIDER: setting("StoreProvider", "b2"),
    STORE_ENDPOINT: setting("StoreEndpoint", "https://s3.us-west-004.backblazeb2.com"),
    STORE_REGION: setting("StoreRegion", "us-west-004"),
    STORE_BUCKET: setting("StoreBucket", "cogzy-vaults"),
    STORE_ACCESS_KEY_ID: setting("StoreAccessKeyId"),
    STORE_SECRET_ACCESS_KEY: setting("StoreSecretAccessKey"),
    EMBEDDER_URL: setting("EmbedderUrl", "https://api.deepinfra.com/v1/openai"),
    EMBEDDER_MODEL: setting("EmbedderModel", "BAAI/bge-m3"),
    EMBEDDER_API_KEY: setting("EmbedderApiKey"),
    B2_WEBHOOK_SECRET: setting("B2WebhookSecret"),
    // Optional: left empty, checkout and the Stripe webhook answer 501.
    STRIPE_SECRET_KEY: setting("StripeSecretKey", ""),
    STRIPE_PREMIUM_PRICE_ID: setting("StripePremiumPriceId", ""),
    STRIPE_WEBHOOK_SECRET: setting("StripeWebhookSecret", ""),
  };
  const environment: Record<string, $util.Input<string>> = { APP_ENV: "production" };
  for (const [name, secret] of Object.entries(values)) environment[name] = secret.value;
  return { environment };
}

export type Settings = ReturnType<typeof secrets>;
