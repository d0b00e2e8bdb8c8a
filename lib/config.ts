/**
 * The one place configuration is read. Every setting has a local default so `npm start` needs nothing;
 * with `APP_ENV=production` the settings that must come from the deployment (store, database, embedder,
 * webhook secret) have no default, and a missing one fails at cold start with a message naming it.
 *
 * Deployed functions get plain settings as environment variables from `stacks/`, and secrets through SST
 * links (`Resource.<Name>.value`, decrypted from the function's bundle, never an environment variable:
 * https://sst.dev/docs/linking); the local stack sets environment variables for the processes it runs.
 */
import { Resource } from "sst/resource";
import { z } from "zod";
import { DEFAULT_TIER_PLANS } from "./tiers/plans";
import { parseTierPlans } from "./tiers/tiers";

const LOCAL_WEBHOOK_SECRET = "local-b2-webhook-secret-not-for-production";
const LOCAL_STRIPE_WEBHOOK_SECRET = "whsec_local_not_for_production";

const integer = (fallback: number) => z.coerce.number().int().default(fallback);
const flag = (fallback: boolean) => z.stringbool().default(fallback);
/** A setting that may be left empty (an SST secret's "" placeholder) to mean "not set". */
const optionalText = () => z.string().trim().optional().transform((value) => value || undefined);

const schema = z.object({
  APP_ENV: z.enum(["local", "test", "production"]).default("local"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  PUBLIC_URL: z.url().optional(),

  DATABASE_URL: z.string().min(1).optional(),
  /**
   * A session-level connection for migrations (their advisory lock) when DATABASE_URL is a pooler in
   * transaction mode (PgBouncer, a provider's pooler); RDS Proxy and direct URLs need none.
   */
  DATABASE_DIRECT_URL: z.string().min(1).optional(),
  /** Where the SQL migrations are, relative to the working directory (a deployed bundle's root). */
  MIGRATIONS_DIR: z.string().min(1).optional(),
  /** Connections one container may hold; the stack sets it per function (`stacks/functions.ts`). */
  DATABASE_POOL_SIZE: integer(10),
  /**
   * `verify-full` (production's default): TLS with the server's certificate checked against Node's CAs
   * plus `NODE_EXTRA_CA_CERTS` (RDS's CAs on Lambda). A `sslmode` in DATABASE_URL takes precedence.
   */
  DATABASE_TLS: z.enum(["off", "verify-full"]).optional(),

  /** Set by Lambda in every function: the region of the function, hence of its queues. */
  AWS_REGION: z.string().min(1).optional(),

  STORE_PROVIDER: z.enum(["b2", "s3"]).default("b2"),
  STORE_ENDPOINT: z.url().optional(),
  STORE_REGION: z.string().min(1).optional(),
  STORE_ACCESS_KEY_ID: z.string().min(1).optional(),
  STORE_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  STORE_BUCKET: z.string().min(1).optional(),
  STORE_FORCE_PATH_STYLE: flag(false),
  /** Where presigned URLs point, when the browser reaches the store by another address than the functions do. */
  STORE_PUBLIC_ENDPOINT: z.url().optional(),

  SQS_ENDPOINT: z.url().optional(),
  /** Only for queues in another region than the function (never set by the stack). */
  SQS_REGION: z.string().min(1).optional(),
  INGEST_QUEUE_URL: z.string().min(1).optional(),
  EMBED_QUEUE_URL: z.string().min(1).optional(),
  REDUCE_QUEUE_URL: z.string().min(1).optional(),

  EMBEDDER_PROVIDER: z.enum(["local", "http"]).optional(),
  EMBEDDER_URL: z.url().optional(),
  EMBEDDER_MODEL: z.string().min(1).optional(),
  EMBEDDER_API_KEY: z.string().min(1).optional(),
  EMBEDDER_DIM: integer(1024),
  EMBEDDER_BATCH_SIZE: integer(32),
  EMBEDDER_MAX_IN_FLIGHT: integer(1),
  EMBEDDER_TIMEOUT_MS: integer(30_000),

  INGEST_CHUNK_SIZE: integer(256),
  /** Seconds a split attempt may go without a heartbeat before another delivery takes its upload over. */
  INGEST_SPLIT_LEASE_SECONDS: integer(30),
  /**
   * Uploads above this size go in parts, each part its own presigned PUT. Defaults: 100 MB and 16 MB
   * parts in production; 10 MB and 8 MB locally (chosen when the emulator took request bodies up to
   * 11 MiB; it now streams PutObject and UploadPart bodies of any size S3 allows, local/emulator-store.ts).
   */
  UPLOAD_MULTIPART_THRESHOLD_MB: z.coerce.number().positive().optional(),
  UPLOAD_PART_SIZE_MB: z.coerce.number().min(5).optional(),

  B2_WEBHOOK_SECRET: z.string().min(16).optional(),
  SESSION_TTL_DAYS: integer(30),

  /** An OpenAI-compatible chat-completions API (xAI, OpenAI, DeepInfra, Ollama); without it an offline responder quotes memories. */
  CHAT_URL: optionalText().pipe(z.url().optional()),
  CHAT_API_KEY: optionalText(),
  CHAT_MODEL: optionalText(),
  /** Per attempt; a streamed reply must finish within it too. */
  CHAT_TIMEOUT_MS: integer(60_000),

  /** Replaces the shipped plans (`lib/tiers/plans.ts`) with JSON of the same shape. */
  TIER_PLANS: z.string().min(1).optional(),
  /** Stripe (https://docs.stripe.com/keys): without a secret key and a price, checkout answers 501. */
  STRIPE_SECRET_KEY: optionalText(),
  STRIPE_PREMIUM_PRICE_ID: optionalText(),
  /** The endpoint's signing secret (`whsec_…`); in production without it the Stripe webhook answers 501. */
  STRIPE_WEBHOOK_SECRET: optionalText(),
  /** Another Stripe API base URL, for stripe-mock or a test stand-in. */
  STRIPE_API_URL: z.url().optional(),
  /** Memory (and /tmp) a search function may spend on loaded vault indexes before evicting the least recent. */
  SEARCH_CACHE_MB: integer(1024),
  /**
   * Hours a vault version stays in the store after a newer one replaced it (for readers that started
   * before the switch); then the sweeper deletes it, and with it any memory forgotten since.
   */
  SWEEP_GRACE_HOURS: z.coerce.number().min(0).default(24),
  /**
   * Memory a search or chat function may spend holding vault versions' memory texts (nodes.json), so a
   * warm function reads results without a GET. 512 MB: with SEARCH_CACHE_MB's 1 GB of indexes and
   * ~300 MB of runtime it fits the 2 GB the search and chat functions get (functions/manifest.ts).
   */
  SEARCH_TEXT_CACHE_MB: integer(512),
});

type Env = z.infer<typeof schema>;

/** Settings the deployed system cannot guess: each must be set when APP_ENV=production. */
const requiredInProduction = [
  "AWS_REGION",
  "DATABASE_URL",
  "STORE_BUCKET",
  "INGEST_QUEUE_URL",
  "EMBED_QUEUE_URL",
  "REDUCE_QUEUE_URL",
  "EMBEDDER_URL",
  "EMBEDDER_API_KEY",
  "B2_WEBHOOK_SECRET",
] as const satisfies readonly (keyof Env)[];

/** B2 has no ambient credentials: endpoint, region and keys are part of its address. On AWS S3 the function's role and region provide them. */
const requiredForB2 = ["STORE_ENDPOINT", "STORE_REGION", "STORE_ACCESS_KEY_ID", "STORE_SECRET_ACCESS_KEY"] as const satisfies readonly (keyof Env)[];

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export type Config = ReturnType<typeof buildConfig>;

function buildConfig(env: Env) {
  const local = env.APP_ENV !== "production";
  const embedderProvider = env.EMBEDDER_PROVIDER ?? (local && !env.EMBEDDER_URL ? "local" : "http");
  return {
    env: env.APP_ENV,
    local,
    logLevel: env.LOG_LEVEL,
    publicUrl: env.PUBLIC_URL,
    database: {
      url: env.DATABASE_URL ?? "postgres://postgres:postgres@127.0.0.1:3002/cogzy",
      directUrl: env.DATABASE_DIRECT_URL,
      migrationsDir: env.MIGRATIONS_DIR,
      poolSize: env.DATABASE_POOL_SIZE,
      tls: env.DATABASE_TLS ?? (local ? "off" : "verify-full"),
    },
    store: {
      provider: env.STORE_PROVIDER,
      endpoint: env.STORE_ENDPOINT ?? (local ? "http://127.0.0.1:3001" : undefined),
      publicEndpoint: env.STORE_PUBLIC_ENDPOINT,
      // B2's region is part of its endpoint; AWS S3's bucket lives in the function's region.
      region: env.STORE_REGION ?? env.AWS_REGION ?? "us-east-1",
      accessKeyId: env.STORE_ACCESS_KEY_ID ?? (local ? "local" : undefined),
      secretAccessKey: env.STORE_SECRET_ACCESS_KEY ?? (local ? "local" : undefined),
      bucket: env.STORE_BUCKET ?? "cogzy-vaults",
      forcePathStyle: env.STORE_FORCE_PATH_STYLE || local,
    },
    queues: {
      endpoint: env.SQS_ENDPOINT ?? (local ? "http://127.0.0.1:3001" : undefined),
      // The queues are the stack's, in the function's own region; B2's region (STORE_REGION) is no AWS region.
      region: env.SQS_REGION ?? env.AWS_REGION ?? "us-east-1",
      ingestUrl: env.INGEST_QUEUE_URL ?? "",
      embedUrl: env.EMBED_QUEUE_URL ?? "",
      reduceUrl: env.REDUCE_QUEUE_URL ?? "",
    },
    embedder: {
      provider: embedderProvider,
      baseUrl: env.EMBEDDER_URL,
      model: env.EMBEDDER_MODEL ?? (embedderProvider === "local" ? "local-hash-v1" : "BAAI/bge-m3"),
      apiKey: env.EMBEDDER_API_KEY,
      dim: env.EMBEDDER_DIM,
      batchSize: env.EMBEDDER_BATCH_SIZE,
      maxInFlight: env.EMBEDDER_MAX_IN_FLIGHT,
      timeoutMs: env.EMBEDDER_TIMEOUT_MS,
    },
    ingest: { chunkSize: Math.max(1, env.INGEST_CHUNK_SIZE), splitLeaseSeconds: Math.max(1, env.INGEST_SPLIT_LEASE_SECONDS) },
    uploads: {
      multipartThresholdBytes: Math.round((env.UPLOAD_MULTIPART_THRESHOLD_MB ?? (local ? 10 : 100)) * 1024 * 1024),
      partSizeBytes: Math.round((env.UPLOAD_PART_SIZE_MB ?? (local ? 8 : 16)) * 1024 * 1024),
    },
    webhooks: { b2Secret: env.B2_WEBHOOK_SECRET ?? LOCAL_WEBHOOK_SECRET },
    sessions: { ttlDays: env.SESSION_TTL_DAYS, secureCookie: !local },
    chat: { baseUrl: env.CHAT_URL, apiKey: env.CHAT_API_KEY, model: env.CHAT_MODEL ?? "offline", timeoutMs: env.CHAT_TIMEOUT_MS },
    tiers: readTierPlans(env.TIER_PLANS),
    stripe: {
      secretKey: env.STRIPE_SECRET_KEY,
      premiumPriceId: env.STRIPE_PREMIUM_PRICE_ID,
      // Locally a fixed secret, so signed test events (and `stripe trigger` forwarded here) can be checked.
      webhookSecret: env.STRIPE_WEBHOOK_SECRET ?? (local ? LOCAL_STRIPE_WEBHOOK_SECRET : undefined),
      apiUrl: env.STRIPE_API_URL,
    },
    search: { cacheBytes: Math.max(1, env.SEARCH_CACHE_MB) * 1024 * 1024, textCacheBytes: Math.max(0, env.SEARCH_TEXT_CACHE_MB) * 1024 * 1024 },
    sweep: { graceSeconds: Math.round(env.SWEEP_GRACE_HOURS * 3600) },
  };
}

function readTierPlans(json: string | undefined) {
  let raw: unknown = DEFAULT_TIER_PLANS;
  if (json !== undefined) {
    try {
      raw = JSON.parse(json);
    } catch {
      throw new ConfigError("Invalid configuration: TIER_PLANS: not JSON");
    }
  }
  try {
    return parseTierPlans(raw);
  } catch (error) {
    throw new ConfigError(`Invalid configuration: TIER_PLANS: ${(error as Error).message}`);
  }
}

/**
 * Settings a deployed function reads from SST links: the link's name (`sst secret set <Name>`, or a
 * linked component) and the property that holds the value. `stacks/` creates and links exactly these.
 */
export const linkedSettings = {
  DATABASE_URL: { link: "DatabaseUrl", property: "value" },
  DATABASE_DIRECT_URL: { link: "DatabaseDirectUrl", property: "value" },
  STORE_ENDPOINT: { link: "StoreEndpoint", property: "value" },
  STORE_REGION: { link: "StoreRegion", property: "value" },
  STORE_BUCKET: { link: "StoreBucket", property: "value" },
  STORE_ACCESS_KEY_ID: { link: "StoreAccessKeyId", property: "value" },
  STORE_SECRET_ACCESS_KEY: { link: "StoreSecretAccessKey", property: "value" },
  EMBEDDER_URL: { link: "EmbedderUrl", property: "value" },
  EMBEDDER_MODEL: { link: "EmbedderModel", property: "value" },
  EMBEDDER_API_KEY: { link: "EmbedderApiKey", property: "value" },
  B2_WEBHOOK_SECRET: { link: "B2WebhookSecret", property: "value" },
  STRIPE_SECRET_KEY: { link: "StripeSecretKey", property: "value" },
  STRIPE_PREMIUM_PRICE_ID: { link: "StripePremiumPriceId", property: "value" },
  STRIPE_WEBHOOK_SECRET: { link: "StripeWebhookSecret", property: "value" },
  CHAT_URL: { link: "ChatUrl", property: "value" },
  CHAT_MODEL: { link: "ChatModel", property: "value" },
  CHAT_API_KEY: { link: "ChatApiKey", property: "value" },
} as const satisfies Partial<Record<keyof Env, { link: string; property: string }>>;

/** Linked resources as SST exposes them: `{ [name]: { [property]: value } }`. */
export type LinkedResources = Record<string, Record<string, unknown> | undefined>;

/**
 * The settings found among `resources` (by default SST's `Resource`, empty outside a deployed function),
 * as environment-variable names.
 */
export function settingsFromLinks(resources: LinkedResources = Resource as unknown as LinkedResources): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const [name, { link, property }] of Object.entries(linkedSettings)) {
    // `in` first: SST's Resource throws when a missing name is read.
    const value = link in resources ? resources[link]?.[property] : undefined;
    if (typeof value === "string" && value !== "") settings[name] = value;
  }
  return settings;
}

/**
 * Parses and checks an environment plus linked settings (which win: a secret is never meant to come
 * from the environment). Throws {@link ConfigError} naming every invalid or missing setting.
 */
export function loadConfig(source: NodeJS.ProcessEnv = process.env, links: Record<string, string> = settingsFromLinks()): Config {
  const parsed = schema.safeParse({ ...source, ...links });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join("; ")}`);
  }
  const env = parsed.data;
  if (env.CHAT_URL && !env.CHAT_MODEL) throw new ConfigError("Invalid configuration: CHAT_MODEL: name the model CHAT_URL serves (e.g. grok-4-fast, gpt-4.1-mini, llama3.1)");
  if (env.APP_ENV === "production") {
    const required: (keyof Env)[] = [...requiredInProduction, ...(env.STORE_PROVIDER === "b2" ? requiredForB2 : [])];
    const missing = required.filter((name) => env[name] === undefined || env[name] === "");
    if (missing.length > 0) {
      throw new ConfigError(`Missing required setting${missing.length > 1 ? "s" : ""} for production: ${missing.join(", ")}`);
    }
  }
  return buildConfig(env);
}

let current: Config | undefined;

/** The process-wide configuration, read once on first use (at cold start in a function). */
export function getConfig(): Config {
  current ??= loadConfig();
  return current;
}

/** Forgets the cached configuration; the local stack calls it after setting its environment. */
export function resetConfig(): void {
  current = undefined;
}
