/**
 * `vault tier set <email> <free|premium|billing>`: sets a user's plan directly in the database, for local
 * use and operators. A plan set by hand stays until set again, whatever Stripe says; `billing` hands the
 * plan back to the person's subscriptions. Connects to DATABASE_URL, else to the local stack's PostgreSQL
 * (see {@link localDatabaseUrl}).
 */
import { createPool } from "../lib/db/pool";
import { setTierByEmail, userTierByEmail } from "../lib/tiers/features";
import type { Invocation } from "./command-line";

export async function run({ operands }: Invocation<Record<string, never>>): Promise<number> {
  const [email, tier] = operands as [string, string];
  if (tier !== "free" && tier !== "premium" && tier !== "billing") {
    process.stderr.write(`vault tier set: the tier is free, premium or billing (follow their subscription), not ${JSON.stringify(tier)}.\n`);
    return 2;
  }
  const url = localDatabaseUrl(process.env);
  // TLS as the URL says (`?sslmode=verify-full` for a managed database).
  const db = createPool({ url, poolSize: 1, tls: "off" });
  try {
    if (!(await setTierByEmail(db, email, tier))) {
      process.stderr.write(`There is no user with the e-mail address ${email}.\n`);
      return 1;
    }
    const address = email.trim().toLowerCase();
    if (tier === "billing") process.stdout.write(`${address} is now on the ${await userTierByEmail(db, address)} plan, as their subscription decides.\n`);
    else process.stdout.write(`${address} is now on the ${tier} plan until it is set again (Stripe events will not change it; \`billing\` hands it back).\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`Could not reach the database at ${url.replace(/\/\/[^@]*@/, "//…@")}: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await db.end();
  }
}

/**
 * DATABASE_URL, else the PostgreSQL of the local stack `npm start` runs: on PG_PORT, else two ports
 * above the API, which is PORT, else the port of a VAULT_API on this machine (the address the other
 * commands were given), else 3000.
 */
export function localDatabaseUrl(env: NodeJS.ProcessEnv): string {
  if (env.DATABASE_URL) return env.DATABASE_URL;
  return `postgres://postgres:postgres@127.0.0.1:${env.PG_PORT ?? Number(env.PORT ?? localApiPort(env.VAULT_API) ?? 3000) + 2}/cogzy`;
}

function localApiPort(api: string | undefined): number | undefined {
  if (!api) return undefined;
  try {
    const url = new URL(api);
    return ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname) && url.port ? Number(url.port) : undefined;
  } catch {
    return undefined;
  }
}
