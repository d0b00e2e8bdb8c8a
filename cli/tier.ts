/**
 * `vault tier set <email> <free|premium>`: sets a user's plan directly in the database, for local use
 * and operators. Connects to DATABASE_URL (default: the local stack's PostgreSQL, on PG_PORT or PORT + 2
 * or 3002, as `npm start` places it).
 */
import { createPool } from "../lib/db/pool";
import { setTierByEmail } from "../lib/tiers/features";
import type { Invocation } from "./command-line";

export async function run({ operands }: Invocation<Record<string, never>>): Promise<number> {
  const [email, tier] = operands as [string, string];
  if (tier !== "free" && tier !== "premium") {
    process.stderr.write(`vault tier set: the tier is free or premium, not ${JSON.stringify(tier)}.\n`);
    return 2;
  }
  const pgPort = process.env.PG_PORT ?? (process.env.PORT ? String(Number(process.env.PORT) + 2) : "3002");
  const url = process.env.DATABASE_URL ?? `postgres://postgres:postgres@127.0.0.1:${pgPort}/cogzy`;
  // TLS as the URL says (`?sslmode=verify-full` for a managed database).
  const db = createPool({ url, poolSize: 1, tls: "off" });
  try {
    if (!(await setTierByEmail(db, email, tier))) {
      process.stderr.write(`There is no user with the e-mail address ${email}.\n`);
      return 1;
    }
    process.stdout.write(`${email.trim().toLowerCase()} is now on the ${tier} plan.\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`Could not reach the database at ${url.replace(/\/\/[^@]*@/, "//…@")}: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await db.end();
  }
}
