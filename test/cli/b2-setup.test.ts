import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startB2NativeStandIn, type B2NativeStandIn } from "../support/b2-native-stand-in";

const vault = path.resolve(import.meta.dirname, "../../cli/vault.js");
const WEBHOOK = "https://vaults.example.com/webhooks/b2";

let b2: B2NativeStandIn;

beforeAll(async () => {
  b2 = await startB2NativeStandIn({ buckets: ["cogzy-vaults", "someone-else"] });
});

afterAll(async () => {
  await b2?.close();
});

beforeEach(() => {
  const bucket = b2.buckets.get("cogzy-vaults")!;
  // What an operator may already have on the bucket: it must survive the setup.
  bucket.corsRules = [{ corsRuleName: "downloads-for-support", allowedOrigins: ["https://support.example.com"], allowedOperations: ["s3_get"], maxAgeSeconds: 60 }];
  bucket.lifecycleRules = [{ fileNamePrefix: "exports/", daysFromUploadingToHiding: 30, daysFromHidingToDeleting: 1 }];
  bucket.notificationRules = [
    { name: "audit-deletes", eventTypes: ["b2:ObjectDeleted:*"], isEnabled: true, objectNamePrefix: "", targetConfiguration: { targetType: "webhook", url: "https://audit.example.com/b2" } },
  ];
});

async function setup(args: string[], env: Record<string, string> = {}) {
  const key = b2.adminKey;
  const result = await promisify(execFile)(process.execPath, [vault, "b2", "setup", ...args], {
    env: { PATH: process.env.PATH, B2_API_URL: b2.url, B2_APPLICATION_KEY_ID: key.applicationKeyId, B2_APPLICATION_KEY: key.applicationKey, ...env },
  }).catch((error: { code: number; stdout: string; stderr: string }) => ({ stdout: error.stdout, stderr: error.stderr, code: error.code }));
  return { code: 0, ...result } as { code: number; stdout: string; stderr: string };
}

describe("vault b2 setup", () => {
  it("applies the CORS, lifecycle and event notification rules through B2's native API, and creates a key for this bucket only", async () => {
    const { code, stdout } = await setup(["--bucket", "cogzy-vaults", "--webhook-url", WEBHOOK]);

    expect(code).toBe(0);
    const bucket = b2.buckets.get("cogzy-vaults")!;
    expect(bucket.corsRules).toContainEqual({
      corsRuleName: "cogzy-browser-uploads",
      allowedOrigins: ["https://vaults.example.com"],
      allowedOperations: ["s3_put", "s3_head", "s3_get"],
      allowedHeaders: ["content-type"],
      exposeHeaders: ["ETag"],
      maxAgeSeconds: 3600,
    });
    expect(bucket.lifecycleRules).toContainEqual({ fileNamePrefix: "users/", daysFromUploadingToHiding: null, daysFromHidingToDeleting: null, daysFromStartingToCancelingUnfinishedLargeFiles: 2 });
    const rule = bucket.notificationRules.find((candidate) => candidate.name === "cogzy-ingest")!;
    expect(rule).toMatchObject({ eventTypes: ["b2:ObjectCreated:*"], isEnabled: true, objectNamePrefix: "users/", targetConfiguration: { targetType: "webhook", url: WEBHOOK } });
    const secret = rule.targetConfiguration.hmacSha256SigningSecret!;
    expect(secret).toMatch(/^[A-Za-z0-9]{32}$/);

    const key = b2.keys.at(-1)!;
    expect(key).toMatchObject({ bucketId: bucket.bucketId, capabilities: ["listBuckets", "listFiles", "readFiles", "writeFiles", "deleteFiles"] });
    expect(stdout).toContain(`npx sst secret set StoreAccessKeyId '${key.applicationKeyId}' --stage production`);
    expect(stdout).toContain(`npx sst secret set StoreSecretAccessKey '${key.applicationKey}' --stage production`);
    expect(stdout).toContain(`npx sst secret set B2WebhookSecret '${secret}' --stage production`);
    expect(stdout).toContain("npx sst secret set StoreEndpoint 'https://s3.us-west-004.backblazeb2.com'");
    expect(stdout).toContain("npx sst secret set StoreRegion 'us-west-004'");
  });

  it("keeps the bucket's other rules, and a second run replaces its own instead of adding more", async () => {
    await setup(["--bucket", "cogzy-vaults", "--webhook-url", WEBHOOK, "--skip-key"]);
    const keys = b2.keys.length;
    const { code } = await setup(["--bucket", "cogzy-vaults", "--webhook-url", WEBHOOK, "--skip-key", "--origin", "https://app.example.com/"]);

    expect(code).toBe(0);
    const bucket = b2.buckets.get("cogzy-vaults")!;
    expect(bucket.corsRules.map((rule) => rule.corsRuleName)).toEqual(["downloads-for-support", "cogzy-browser-uploads"]);
    expect(bucket.corsRules[1]!.allowedOrigins).toEqual(["https://app.example.com"]);
    expect(bucket.lifecycleRules.map((rule) => rule.fileNamePrefix)).toEqual(["exports/", "users/"]);
    expect(bucket.notificationRules.map((rule) => rule.name)).toEqual(["audit-deletes", "cogzy-ingest"]);
    expect(b2.keys.length).toBe(keys);
    expect(b2.buckets.get("someone-else")!.corsRules).toEqual([]);
  });

  it("uses the signing secret it is given, the one the stack already has", async () => {
    const secret = "AbCdEfGhIjKlMnOpQrStUvWxYz012345";
    const { code, stdout } = await setup(["--bucket", "cogzy-vaults", "--webhook-url", WEBHOOK, "--skip-key", "--stage", "staging"], { B2_WEBHOOK_SECRET: secret });

    expect(code).toBe(0);
    expect(b2.buckets.get("cogzy-vaults")!.notificationRules.at(-1)!.targetConfiguration.hmacSha256SigningSecret).toBe(secret);
    expect(stdout).toContain(`npx sst secret set B2WebhookSecret '${secret}' --stage staging`);
  });

  it("without a webhook yet (before the first deploy) creates the key and the lifecycle rule, and says what waits", async () => {
    const bucket = b2.buckets.get("cogzy-vaults")!;

    const { code, stdout } = await setup(["--bucket", "cogzy-vaults"]);

    expect(code).toBe(0);
    expect(bucket.lifecycleRules.map((rule) => rule.fileNamePrefix)).toEqual(["exports/", "users/"]);
    expect(bucket.corsRules.map((rule) => rule.corsRuleName)).toEqual(["downloads-for-support"]);
    expect(bucket.notificationRules.map((rule) => rule.name)).toEqual(["audit-deletes"]);
    expect(b2.keys.at(-1)!.bucketId).toBe(bucket.bucketId);
    expect(stdout).toContain("events      not yet: run again with --webhook-url once the stage is deployed");
  });

  it("refuses what B2 would refuse, before calling it", async () => {
    const calls = b2.calls.length;

    const plainHttp = await setup(["--bucket", "cogzy-vaults", "--webhook-url", "http://vaults.example.com/webhooks/b2"]);
    const shortSecret = await setup(["--bucket", "cogzy-vaults", "--webhook-url", WEBHOOK, "--signing-secret", "too-short"]);
    const noKey = await setup(["--bucket", "cogzy-vaults", "--webhook-url", WEBHOOK], { B2_APPLICATION_KEY_ID: "", B2_APPLICATION_KEY: "" });

    expect([plainHttp.code, shortSecret.code, noKey.code]).toEqual([2, 2, 2]);
    expect(plainHttp.stderr).toContain("must be an https URL");
    expect(shortSecret.stderr).toContain("32 letters and digits");
    expect(noKey.stderr).toContain("B2_APPLICATION_KEY_ID");
    expect(b2.calls.length).toBe(calls);
  });

  it("says what B2 refused, and which bucket is missing", async () => {
    const weak = b2.addKey(["listBuckets", "readFiles"]);
    const refused = await setup(["--bucket", "cogzy-vaults", "--webhook-url", WEBHOOK], { B2_APPLICATION_KEY_ID: weak.applicationKeyId, B2_APPLICATION_KEY: weak.applicationKey });
    const missing = await setup(["--bucket", "no-such-bucket", "--webhook-url", WEBHOOK]);

    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("B2 refused: The key lacks the writeBuckets capability. (unauthorized, HTTP 401)");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("There is no bucket named no-such-bucket");
  });
});
