import { randomInt } from "node:crypto";
import type { B2Bucket, B2CorsRule, B2LifecycleRule, B2NotificationRule, B2Session } from "./b2-native-api";

/** Names of the rules this setup owns; other rules on the bucket are left as they are. */
export const CORS_RULE_NAME = "cogzy-browser-uploads";
export const NOTIFICATION_RULE_NAME = "cogzy-ingest";
/** Every vault lives under this prefix (lib/vaults/layout.ts). */
export const VAULT_PREFIX = "users/";
/** Parts of large files nobody finished are cancelled after this many days. */
export const UNFINISHED_LARGE_FILE_DAYS = 2;

/**
 * What the functions' key may do, and no more: read, write, list and delete files of this one bucket
 * (S3-compatible calls and presigned URLs), and see the bucket itself
 * (https://www.backblaze.com/docs/cloud-storage-application-key-capabilities).
 */
export const FUNCTION_KEY_CAPABILITIES = ["listBuckets", "listFiles", "readFiles", "writeFiles", "deleteFiles"];

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A signing secret as B2 accepts one: 32 alphanumeric characters. */
export function newSigningSecret(): string {
  return Array.from({ length: 32 }, () => ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]).join("");
}

export function isValidSigningSecret(secret: string): boolean {
  return /^[A-Za-z0-9]{32}$/.test(secret);
}

/** Browsers PUT exports (single or parts) from the web app's origin; multipart completion reads ETag. */
export function corsRule(origin: string): B2CorsRule {
  return {
    corsRuleName: CORS_RULE_NAME,
    allowedOrigins: [origin],
    allowedOperations: ["s3_put", "s3_head", "s3_get"],
    allowedHeaders: ["content-type"],
    exposeHeaders: ["ETag"],
    maxAgeSeconds: 3600,
  };
}

/** Ours replaces a rule of the same name; the others stay, in their order. */
export function withCorsRule(rules: B2CorsRule[], rule: B2CorsRule): B2CorsRule[] {
  return [...rules.filter((existing) => existing.corsRuleName !== rule.corsRuleName), rule];
}

/**
 * Unfinished large files (abandoned multipart uploads) under the vault prefix are cancelled after
 * {@link UNFINISHED_LARGE_FILE_DAYS}; an existing rule for the prefix keeps its hide and delete days.
 */
export function withUnfinishedUploadRule(rules: B2LifecycleRule[]): B2LifecycleRule[] {
  const existing = rules.find((rule) => rule.fileNamePrefix === VAULT_PREFIX);
  const rule: B2LifecycleRule = {
    fileNamePrefix: VAULT_PREFIX,
    daysFromUploadingToHiding: existing?.daysFromUploadingToHiding ?? null,
    daysFromHidingToDeleting: existing?.daysFromHidingToDeleting ?? null,
    daysFromStartingToCancelingUnfinishedLargeFiles: UNFINISHED_LARGE_FILE_DAYS,
  };
  return [...rules.filter((other) => other !== existing), rule];
}

/** Every object created under the vault prefix is POSTed to the webhook, signed with the secret. */
export function notificationRule(webhookUrl: string, signingSecret: string): B2NotificationRule {
  return {
    name: NOTIFICATION_RULE_NAME,
    eventTypes: ["b2:ObjectCreated:*"],
    isEnabled: true,
    objectNamePrefix: VAULT_PREFIX,
    targetConfiguration: { targetType: "webhook", url: webhookUrl, hmacSha256SigningSecret: signingSecret },
  };
}

export interface B2SetupOptions {
  bucket: string;
  /** Without it (the stage's URL is not known before its first deploy) the notification rule waits. */
  webhookUrl?: string;
  /** The web app's origin; by default the webhook's, as the Router serves both. Without either, CORS waits. */
  origin?: string;
  signingSecret: string;
  /** Create the functions' key (a new one each time: B2 shows a key's secret only when it is made). */
  createKey: boolean;
}

export interface B2SetupResult {
  bucketId: string;
  endpoint: string;
  region: string;
  origin?: string;
  key?: { applicationKeyId: string; applicationKey: string };
}

/**
 * Applies the vault bucket's CORS rule, its lifecycle rule for unfinished large files and its event
 * notification rule, then (optionally) creates an application key restricted to the bucket. Running it
 * again changes nothing but what it owns.
 */
export async function setUpB2Bucket(session: B2Session, options: B2SetupOptions): Promise<B2SetupResult> {
  const origin = options.origin ?? (options.webhookUrl ? new URL(options.webhookUrl).origin : undefined);
  const { buckets } = await session.call<{ buckets: B2Bucket[] }>("b2_list_buckets", { accountId: session.accountId, bucketName: options.bucket });
  const bucket = buckets.find((candidate) => candidate.bucketName === options.bucket);
  if (!bucket) throw new Error(`There is no bucket named ${options.bucket} in this B2 account (or the key may not see it).`);

  await session.call("b2_update_bucket", {
    accountId: session.accountId,
    bucketId: bucket.bucketId,
    ...(origin ? { corsRules: withCorsRule(bucket.corsRules ?? [], corsRule(origin)) } : {}),
    lifecycleRules: withUnfinishedUploadRule(bucket.lifecycleRules ?? []),
    ifRevisionMatches: bucket.revision,
  });

  if (options.webhookUrl) {
    const current = await session.call<{ eventNotificationRules: B2NotificationRule[] }>("b2_get_bucket_notification_rules", { bucketId: bucket.bucketId }, "GET");
    const others = current.eventNotificationRules.filter((rule) => rule.name !== NOTIFICATION_RULE_NAME);
    await session.call("b2_set_bucket_notification_rules", {
      bucketId: bucket.bucketId,
      eventNotificationRules: [...others, notificationRule(options.webhookUrl, options.signingSecret)],
    });
  }

  const endpoint = session.s3ApiUrl;
  const region = /^https:\/\/s3\.([a-z0-9-]+)\.backblazeb2\.com\/?$/.exec(endpoint)?.[1] ?? new URL(endpoint).hostname.split(".")[1] ?? "";
  const result: B2SetupResult = { bucketId: bucket.bucketId, endpoint, region, ...(origin ? { origin } : {}) };
  if (options.createKey) {
    result.key = await session.call<{ applicationKeyId: string; applicationKey: string }>("b2_create_key", {
      accountId: session.accountId,
      capabilities: FUNCTION_KEY_CAPABILITIES,
      keyName: `cogzy-vaults-${options.bucket}`.slice(0, 100),
      bucketId: bucket.bucketId,
    });
  }
  return result;
}
