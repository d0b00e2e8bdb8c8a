/**
 * The environment and links a deployed function starts with, built from the recorded stack: its own
 * environment variables (references resolved to realistic values), what Lambda itself sets
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime),
 * and the values of the resources it is linked to, as SST hands them over.
 */
import { ownerOf, text, type RecordedFunction } from "./sst-recorder";

export const REGION = "eu-west-1";
export const ACCOUNT = "123456789012";

/** Secret values as an operator would set them with `sst secret set` (placeholders for the rest). */
export const secretValues: Record<string, string> = {
  DatabaseUrl: "postgres://cogzy:secret@cogzy.cluster-abc.eu-west-1.rds.amazonaws.com:5432/cogzy",
  StoreAccessKeyId: "004a1b2c3d4e5f60000000001",
  StoreSecretAccessKey: "K004abcdefghijklmnopqrstuvwxyz0",
  EmbedderApiKey: "deepinfra-key",
  B2WebhookSecret: "a-b2-signing-secret-of-32-chars!",
};

/** A reference (`{{sst.aws.Queue:Ingest.url}}`) as the deployed resource would answer it. */
function resolve(value: unknown, overrides: Record<string, string>): string {
  const reference = String(text(value));
  if (!reference.startsWith("{{")) return reference;
  const path = reference.slice(2, -2);
  if (overrides[path] !== undefined) return overrides[path];
  const queue = /^sst\.aws\.Queue:(\w+)\.url$/.exec(path);
  if (queue) return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/cogzy-vaults-production-${queue[1]}Queue${queue[1] === "Reduce" ? ".fifo" : ""}`;
  const bucket = /^sst\.aws\.Bucket:(\w+)\.name$/.exec(path);
  if (bucket) return `cogzy-vaults-production-${bucket[1]!.toLowerCase()}-a1b2c3`;
  if (path.includes("aws.lambda.Invocation:DatabaseMigration")) return "0002_ingestion";
  throw new Error(`no production value for ${reference}`);
}

export interface ProductionStart {
  env: Record<string, string>;
  /** Linked resources by name, each with the properties SST exposes (`Resource.X.value`). */
  links: Record<string, Record<string, string>>;
}

export function productionStart(fn: RecordedFunction, overrides: Record<string, string> = {}): ProductionStart {
  const env: Record<string, string> = {
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: "ASIAEXAMPLEROLEKEY",
    AWS_SECRET_ACCESS_KEY: "role-secret",
    AWS_SESSION_TOKEN: "role-session-token",
    AWS_LAMBDA_FUNCTION_NAME: fn.source.replace(/[^A-Za-z0-9]+/g, "-"),
    LAMBDA_TASK_ROOT: "/var/task",
  };
  for (const [name, value] of Object.entries(fn.args.environment ?? {})) env[name] = resolve(value, overrides);
  const links: Record<string, Record<string, string>> = {};
  for (const link of fn.args.link ?? []) {
    const owner = ownerOf(link);
    if (!owner) continue;
    if (owner.type === "sst.Secret") links[owner.name] = { value: overrides[`secret:${owner.name}`] ?? secretValues[owner.name] ?? String(owner.args ?? "") };
    else if (owner.type === "sst.aws.Queue") links[owner.name] = { url: resolve(`{{sst.aws.Queue:${owner.name}.url}}`, overrides) };
    else if (owner.type === "sst.aws.Bucket") links[owner.name] = { name: resolve(`{{sst.aws.Bucket:${owner.name}.name}}`, overrides) };
  }
  return { env, links };
}
