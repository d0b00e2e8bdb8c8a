import { readdir } from "node:fs/promises";
import path from "node:path";
import { getConfig } from "../../lib/config";
import { migrate, sourceMigrationsDir } from "../../lib/db/migrate";
import { connectionConfig } from "../../lib/db/pool";
import { log } from "../../lib/log";

/**
 * Invoked by `sst deploy` before any other function changes (stacks/database.ts): applies pending
 * migrations and answers the newest one, the schema the new code runs against. Migrations are
 * expand-then-contract, so the code still running during the deploy keeps working on the new schema.
 */
export async function main(): Promise<{ applied: string[]; schema: string }> {
  const { database } = getConfig();
  const dir = database.migrationsDir ? path.resolve(database.migrationsDir) : sourceMigrationsDir;
  const applied = await migrate(connectionConfig(database.directUrl ?? database.url, database.tls), { dir });
  const schema = (await readdir(dir)).filter((file) => file.endsWith(".sql")).sort().at(-1)?.replace(/\.sql$/, "") ?? "";
  log.info("migrations applied", { applied, schema });
  return { applied, schema };
}

export const handler = main;
