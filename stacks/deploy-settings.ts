/**
 * Choices made per stage at deploy time, from the deployer's environment. SST loads `.env` and
 * `.env.<stage>` before running the config (https://sst.dev/docs/environment-variables), so a stage's
 * choices live in `.env.production` next to `sst.config.ts`:
 *
 * - `STORE_PROVIDER`: `b2` (default; the vault bucket is on Backblaze B2, set up with `npx vault b2 setup`)
 *   or `s3` (the stack creates the bucket on AWS S3, with object-created notifications to the ingest queue).
 * - `DOMAIN`: the web app's and API's domain (its DNS in Route 53); without it, the CloudFront address.
 * - `ALARM_EMAIL`: who gets the CloudWatch alarms (by email through SNS; confirm the subscription).
 */
export interface DeploySettings {
  storeProvider: "b2" | "s3";
  domain?: string;
  alarmEmail?: string;
}

export function deploySettings(env: Record<string, string | undefined> = process.env): DeploySettings {
  const storeProvider = env.STORE_PROVIDER ?? "b2";
  if (storeProvider !== "b2" && storeProvider !== "s3") throw new Error(`STORE_PROVIDER must be "b2" or "s3", not "${storeProvider}".`);
  const domain = env.DOMAIN?.trim() || undefined;
  if (domain && !/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(domain)) throw new Error(`DOMAIN must be a host name such as vaults.example.com, not "${domain}".`);
  const alarmEmail = env.ALARM_EMAIL?.trim() || undefined;
  return { storeProvider, ...(domain ? { domain } : {}), ...(alarmEmail ? { alarmEmail } : {}) };
}
