import { linkedSettings } from "../lib/config";
import type { DeploySettings } from "./deploy-settings";

/** What a setting starts as before `sst secret set` gives it a value (`undefined`: it must be set). */
const placeholders: Partial<Record<keyof typeof linkedSettings, string>> = {
  STORE_ENDPOINT: "https://s3.us-west-004.backblazeb2.com",
  STORE_REGION: "us-west-004",
  STORE_BUCKET: "cogzy-vaults",
  EMBEDDER_URL: "https://api.deepinfra.com/v1/openai",
  EMBEDDER_MODEL: "BAAI/bge-m3",
  // Empty: migrations use DATABASE_URL unless a pooler in transaction mode sits in front of it.
  DATABASE_DIRECT_URL: "",
  // Empty: checkout and the Stripe webhook answer 501 until billing is set up.
  STRIPE_SECRET_KEY: "",
  STRIPE_PREMIUM_PRICE_ID: "",
  STRIPE_WEBHOOK_SECRET: "",
  // Empty: chat answers with the offline responder until a model is set.
  CHAT_URL: "",
  CHAT_MODEL: "",
  CHAT_API_KEY: "",
};

/** Settings that describe the B2 bucket; on AWS S3 the stack's own bucket and the role replace them. */
const b2Only = new Set<keyof typeof linkedSettings>(["STORE_ENDPOINT", "STORE_REGION", "STORE_BUCKET", "STORE_ACCESS_KEY_ID", "STORE_SECRET_ACCESS_KEY"]);

/**
 * One SST secret per linked setting of `lib/config.ts` (`sst secret set <Name> <value> --stage …`).
 * Functions are linked to them and read `Resource.<Name>.value`; the values live encrypted in the
 * function bundle, not in its environment variables, where the Lambda console would show them.
 */
export function createSettings(deploy: DeploySettings) {
  const secrets: sst.Secret[] = [];
  for (const [name, { link }] of Object.entries(linkedSettings) as [keyof typeof linkedSettings, { link: string }][]) {
    if (deploy.storeProvider === "s3" && b2Only.has(name)) continue;
    secrets.push(new sst.Secret(link, placeholders[name]));
  }
  return { secrets };
}

export type Settings = ReturnType<typeof createSettings>;
