/**
 * A stand-in for Backblaze B2's native API, enough of it to set up a bucket: authorize, list and update
 * buckets, get and set event notification rules, create keys. It checks requests as B2 documents them
 * (https://www.backblaze.com/apidocs): the token on every call, the key's capabilities, the bucket's
 * revision, rule names and fields, signing secrets of 32 letters and digits, HTTPS webhooks; and answers
 * errors in B2's shape (`{status, code, message}`).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { B2CorsRule, B2LifecycleRule, B2NotificationRule } from "../../lib/store/b2-native-api";

export interface StandInBucket {
  bucketId: string;
  bucketName: string;
  bucketType: string;
  corsRules: B2CorsRule[];
  lifecycleRules: B2LifecycleRule[];
  notificationRules: B2NotificationRule[];
  revision: number;
}

export interface StandInKey {
  keyName: string;
  applicationKeyId: string;
  applicationKey: string;
  capabilities: string[];
  bucketId: string | null;
  namePrefix: string | null;
}

export interface B2NativeStandIn {
  url: string;
  accountId: string;
  /** The administrator's key, to put in B2_APPLICATION_KEY_ID / B2_APPLICATION_KEY. */
  adminKey: StandInKey;
  buckets: Map<string, StandInBucket>;
  keys: StandInKey[];
  calls: string[];
  addKey(capabilities: string[]): StandInKey;
  close(): Promise<void>;
}

const ALL_CAPABILITIES = [
  "listKeys", "writeKeys", "deleteKeys", "listBuckets", "listAllBucketNames", "readBuckets", "writeBuckets", "deleteBuckets",
  "readBucketRetentions", "writeBucketRetentions", "readBucketEncryption", "writeBucketEncryption", "readBucketNotifications",
  "writeBucketNotifications", "readBucketReplications", "writeBucketReplications", "listFiles", "readFiles", "shareFiles",
  "writeFiles", "deleteFiles", "readFileLegalHolds", "writeFileLegalHolds", "readFileRetentions", "writeFileRetentions", "bypassGovernance",
];
const CORS_OPERATIONS = new Set(["b2_download_file_by_name", "b2_download_file_by_id", "b2_upload_file", "b2_upload_part", "s3_delete", "s3_get", "s3_head", "s3_post", "s3_put"]);
const EVENT_TYPES = new Set(["b2:ObjectCreated:*", "b2:ObjectCreated:Upload", "b2:ObjectCreated:MultipartUpload", "b2:ObjectCreated:Copy", "b2:ObjectCreated:Replica", "b2:ObjectCreated:MultipartReplica", "b2:ObjectDeleted:*", "b2:ObjectDeleted:Delete", "b2:ObjectDeleted:LifecycleRule", "b2:HideMarkerCreated:*", "b2:HideMarkerCreated:Hide", "b2:HideMarkerCreated:LifecycleRule"]);

class B2Error extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

const bad = (message: string) => new B2Error(400, "bad_request", message);

function validateCorsRules(rules: unknown): B2CorsRule[] {
  if (!Array.isArray(rules) || rules.length > 100) throw bad("corsRules must be a list of at most 100 rules");
  const names = new Set<string>();
  for (const rule of rules as B2CorsRule[]) {
    if (!/^[A-Za-z0-9-]{6,50}$/.test(rule.corsRuleName ?? "") || rule.corsRuleName.startsWith("b2-")) throw bad(`invalid corsRuleName: ${rule.corsRuleName}`);
    if (names.has(rule.corsRuleName)) throw bad(`duplicate corsRuleName: ${rule.corsRuleName}`);
    names.add(rule.corsRuleName);
    if (!Array.isArray(rule.allowedOrigins) || rule.allowedOrigins.length === 0) throw bad("allowedOrigins is required");
    if (!Array.isArray(rule.allowedOperations) || rule.allowedOperations.some((operation) => !CORS_OPERATIONS.has(operation))) throw bad("invalid allowedOperations");
    if (!Number.isInteger(rule.maxAgeSeconds) || rule.maxAgeSeconds < 0 || rule.maxAgeSeconds > 86_400) throw bad("maxAgeSeconds must be 0 to 86400");
  }
  return rules as B2CorsRule[];
}

function validateLifecycleRules(rules: unknown): B2LifecycleRule[] {
  if (!Array.isArray(rules) || rules.length > 100) throw bad("lifecycleRules must be a list of at most 100 rules");
  const prefixes = new Set<string>();
  for (const rule of rules as B2LifecycleRule[]) {
    if (typeof rule.fileNamePrefix !== "string") throw bad("fileNamePrefix is required");
    if (prefixes.has(rule.fileNamePrefix)) throw bad(`two lifecycle rules for the prefix ${rule.fileNamePrefix}`);
    prefixes.add(rule.fileNamePrefix);
    const days = [rule.daysFromUploadingToHiding, rule.daysFromHidingToDeleting, rule.daysFromStartingToCancelingUnfinishedLargeFiles];
    if (days.some((value) => value !== null && value !== undefined && (!Number.isInteger(value) || value < 1))) throw bad("lifecycle days must be positive integers or null");
    if (days.every((value) => value === null || value === undefined)) throw bad("a lifecycle rule must do something");
  }
  return rules as B2LifecycleRule[];
}

function validateNotificationRules(rules: unknown): B2NotificationRule[] {
  if (!Array.isArray(rules) || rules.length > 25) throw bad("eventNotificationRules must be a list of at most 25 rules");
  const names = new Set<string>();
  for (const rule of rules as B2NotificationRule[]) {
    if (!/^[A-Za-z0-9-]{1,63}$/.test(rule.name ?? "") || names.has(rule.name)) throw bad(`invalid or duplicate rule name: ${rule.name}`);
    names.add(rule.name);
    if (!Array.isArray(rule.eventTypes) || rule.eventTypes.length === 0 || rule.eventTypes.some((type) => !EVENT_TYPES.has(type))) throw bad("invalid eventTypes");
    if (typeof rule.isEnabled !== "boolean" || typeof rule.objectNamePrefix !== "string") throw bad("isEnabled and objectNamePrefix are required");
    const target = rule.targetConfiguration;
    if (target?.targetType !== "webhook") throw bad("targetType must be webhook");
    if (!URL.canParse(target.url) || new URL(target.url).protocol !== "https:") throw bad("the webhook URL must use HTTPS");
    if (target.hmacSha256SigningSecret !== undefined && !/^[A-Za-z0-9]{32}$/.test(target.hmacSha256SigningSecret)) throw bad("hmacSha256SigningSecret must be 32 alphanumeric characters");
  }
  for (const [i, a] of (rules as B2NotificationRule[]).entries()) {
    for (const b of (rules as B2NotificationRule[]).slice(i + 1)) {
      const overlapping = a.objectNamePrefix.startsWith(b.objectNamePrefix) || b.objectNamePrefix.startsWith(a.objectNamePrefix);
      const sameEvents = a.eventTypes.some((type) => b.eventTypes.some((other) => type.split(":")[1] === other.split(":")[1]));
      if (overlapping && sameEvents) throw bad(`rules ${a.name} and ${b.name} overlap`);
    }
  }
  return rules as B2NotificationRule[];
}

export async function startB2NativeStandIn(options: { buckets: string[]; s3ApiUrl?: string }): Promise<B2NativeStandIn> {
  const accountId = randomBytes(6).toString("hex");
  const keys: StandInKey[] = [];
  const tokens = new Map<string, StandInKey>();
  const buckets = new Map<string, StandInBucket>();
  const calls: string[] = [];
  for (const name of options.buckets) {
    buckets.set(name, { bucketId: randomBytes(12).toString("hex"), bucketName: name, bucketType: "allPrivate", corsRules: [], lifecycleRules: [], notificationRules: [], revision: 1 });
  }
  const addKey = (capabilities: string[], bucketId: string | null = null, keyName = "admin"): StandInKey => {
    const key = { keyName, applicationKeyId: `004${randomBytes(11).toString("hex")}`, applicationKey: `K004${randomBytes(15).toString("base64url")}`, capabilities, bucketId, namePrefix: null };
    keys.push(key);
    return key;
  };
  const adminKey = addKey(ALL_CAPABILITIES);
  const byId = (bucketId: unknown) => {
    const bucket = [...buckets.values()].find((candidate) => candidate.bucketId === bucketId);
    if (!bucket) throw bad(`bucket ${String(bucketId)} does not exist`);
    return bucket;
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error) => {
      const failure = error instanceof B2Error ? error : new B2Error(500, "internal_error", String(error));
      response.writeHead(failure.status, { "content-type": "application/json" });
      response.end(JSON.stringify({ status: failure.status, code: failure.code, message: failure.message }));
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? "/", "http://stand-in");
    const name = url.pathname.replace(/^\/b2api\/v[34]\//, "");
    calls.push(name);
    const send = (body: unknown) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (name === "b2_authorize_account") {
      const [id, secret] = Buffer.from((request.headers.authorization ?? "").replace(/^Basic /, ""), "base64").toString().split(":");
      const key = keys.find((candidate) => candidate.applicationKeyId === id && candidate.applicationKey === secret);
      if (!key) throw new B2Error(401, "unauthorized", "The applicationKeyId and/or the applicationKey are wrong.");
      const token = `4_${randomUUID()}`;
      tokens.set(token, key);
      return send({
        accountId,
        authorizationToken: token,
        apiInfo: { storageApi: { apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, s3ApiUrl: options.s3ApiUrl ?? "https://s3.us-west-004.backblazeb2.com", capabilities: key.capabilities } },
      });
    }
    const key = tokens.get(request.headers.authorization ?? "");
    if (!key) throw new B2Error(401, "bad_auth_token", "Invalid authorization token");
    const need = (capability: string) => {
      if (!key.capabilities.includes(capability)) throw new B2Error(401, "unauthorized", `The key lacks the ${capability} capability.`);
    };
    let body: any = {};
    if (request.method === "POST") {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } else {
      body = Object.fromEntries(url.searchParams);
    }
    switch (name) {
      case "b2_list_buckets": {
        need("listBuckets");
        if (body.accountId !== accountId) throw bad("accountId does not match the authorization");
        return send({ buckets: [...buckets.values()].filter((bucket) => !body.bucketName || bucket.bucketName === body.bucketName).map(({ notificationRules: _, ...bucket }) => ({ accountId, ...bucket })) });
      }
      case "b2_update_bucket": {
        need("writeBuckets");
        if (body.accountId !== accountId) throw bad("accountId does not match the authorization");
        const bucket = byId(body.bucketId);
        if (body.ifRevisionMatches !== undefined && body.ifRevisionMatches !== bucket.revision) throw new B2Error(409, "conflict", "ifRevisionMatches is stale");
        if (body.corsRules !== undefined) bucket.corsRules = validateCorsRules(body.corsRules);
        if (body.lifecycleRules !== undefined) bucket.lifecycleRules = validateLifecycleRules(body.lifecycleRules);
        bucket.revision += 1;
        const { notificationRules: _, ...shown } = bucket;
        return send({ accountId, ...shown });
      }
      case "b2_get_bucket_notification_rules": {
        need("readBucketNotifications");
        const bucket = byId(body.bucketId);
        return send({ bucketId: bucket.bucketId, eventNotificationRules: bucket.notificationRules.map((rule) => ({ ...rule, isSuspended: false, suspensionReason: "" })) });
      }
      case "b2_set_bucket_notification_rules": {
        need("writeBucketNotifications");
        const bucket = byId(body.bucketId);
        bucket.notificationRules = validateNotificationRules(body.eventNotificationRules);
        return send({ bucketId: bucket.bucketId, eventNotificationRules: bucket.notificationRules });
      }
      case "b2_create_key": {
        need("writeKeys");
        if (body.accountId !== accountId) throw bad("accountId does not match the authorization");
        if (!/^[A-Za-z0-9-]{1,100}$/.test(body.keyName ?? "")) throw bad("invalid keyName");
        if (!Array.isArray(body.capabilities) || body.capabilities.some((capability: string) => !ALL_CAPABILITIES.includes(capability))) throw bad("invalid capabilities");
        if (body.bucketId !== undefined) byId(body.bucketId);
        const created = addKey(body.capabilities, body.bucketId ?? null, body.keyName);
        return send({ accountId, ...created });
      }
      default:
        throw new B2Error(404, "not_found", `no such API: ${name}`);
    }
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    accountId,
    adminKey,
    buckets,
    keys,
    calls,
    addKey: (capabilities) => addKey(capabilities),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
