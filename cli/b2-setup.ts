/**
 * `vault b2 setup --bucket <name> [--webhook-url <url>]`: makes a Backblaze B2 bucket ready to be the
 * vault store of a deployed stage, through B2's native API with an administrator's application key:
 * the browser-upload CORS rule, the lifecycle rule for unfinished large files, the event notification
 * rule to the webhook with its signing secret, and a key for the functions restricted to the bucket.
 * Prints the `sst secret set` commands for the stage. Options: `commands.ts`.
 */
import { authorizeB2, B2ApiError } from "../lib/store/b2-native-api";
import { FUNCTION_KEY_CAPABILITIES, isValidSigningSecret, newSigningSecret, setUpB2Bucket, UNFINISHED_LARGE_FILE_DAYS, VAULT_PREFIX } from "../lib/store/b2-setup";
import type { Invocation } from "./command-line";

type Values = {
  bucket: string;
  "webhook-url": string | undefined;
  origin: string | undefined;
  "signing-secret": string | undefined;
  stage: string;
  "skip-key": boolean;
  "key-id": string;
  key: string;
  "api-url": string;
};

export async function run({ values }: Invocation<Values>): Promise<number> {
  const problem = usageProblem(values);
  if (problem) {
    process.stderr.write(`vault b2 setup: ${problem}\n\`vault b2 setup --help\` lists the options.\n`);
    return 2;
  }
  const signingSecret = values["signing-secret"] ?? newSigningSecret();
  const webhook = values["webhook-url"];
  try {
    const session = await authorizeB2({ keyId: values["key-id"], key: values.key, apiBase: values["api-url"] });
    const result = await setUpB2Bucket(session, {
      bucket: values.bucket,
      ...(webhook ? { webhookUrl: webhook } : {}),
      ...(values.origin ? { origin: new URL(values.origin).origin } : {}),
      signingSecret,
      createKey: !values["skip-key"],
    });
    const secret = (name: string, value: string) => `  npx sst secret set ${name} '${value}' --stage ${values.stage}\n`;
    process.stdout.write(
      [
        `B2 bucket ${values.bucket} (${result.bucketId}) is set up:\n`,
        result.origin ? `  CORS        PUT from ${result.origin}, ETag exposed\n` : `  CORS        not yet: run again with --webhook-url or --origin\n`,
        `  lifecycle   unfinished large files under ${VAULT_PREFIX} cancelled after ${UNFINISHED_LARGE_FILE_DAYS} days\n`,
        webhook ? `  events      b2:ObjectCreated:* under ${VAULT_PREFIX} → ${webhook}, signed\n` : `  events      not yet: run again with --webhook-url once the stage is deployed\n`,
        result.key ? `  key         ${result.key.applicationKeyId}, this bucket only: ${FUNCTION_KEY_CAPABILITIES.join(", ")}\n` : "",
        `\nSet the stage's secrets${result.key ? " (B2 shows the key's secret only now)" : ""}:\n`,
        secret("StoreEndpoint", result.endpoint),
        secret("StoreRegion", result.region),
        secret("StoreBucket", values.bucket),
        result.key ? secret("StoreAccessKeyId", result.key.applicationKeyId) : "",
        result.key ? secret("StoreSecretAccessKey", result.key.applicationKey) : "",
        secret("B2WebhookSecret", signingSecret),
      ].join(""),
    );
    return 0;
  } catch (error) {
    if (error instanceof B2ApiError) {
      process.stderr.write(`vault b2 setup: B2 refused: ${error.message} (${error.code}, HTTP ${error.status})\n`);
      return 1;
    }
    const cause = (error as Error).cause instanceof Error ? ` (${((error as Error).cause as Error).message})` : "";
    process.stderr.write(`vault b2 setup: ${(error as Error).message}${cause}\n`);
    return 1;
  }
}

function usageProblem(values: Values): string | undefined {
  const webhook = values["webhook-url"];
  if (webhook !== undefined && (!URL.canParse(webhook) || new URL(webhook).protocol !== "https:")) return "--webhook-url must be an https URL: B2 posts events only over HTTPS.";
  if (values.origin !== undefined && !URL.canParse(values.origin)) return "--origin must be a URL such as https://vaults.example.com.";
  const secret = values["signing-secret"];
  if (secret !== undefined && !isValidSigningSecret(secret)) return "the signing secret must be 32 letters and digits (B2's rule).";
  return undefined;
}
