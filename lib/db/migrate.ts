import { fileURLToPath } from "node:url";
import { runner } from "node-pg-migrate";

const migrationsDir = fileURLToPath(new URL("../../migrations", import.meta.url));

/**
 * Applies the SQL migrations in `migrations/` (up) or undoes `count` of them (down). node-pg-migrate
 * takes an advisory lock, so two processes starting at once do not race.
 */
export async function migrate(databaseUrl: string, options: { direction?: "up" | "down"; count?: number; log?: (line: string) => void } = {}) {
  const applied = await runner({
    databaseUrl,
    dir: migrationsDir,
    direction: options.direction ?? "up",
    count: options.count ?? (options.direction === "down" ? 1 : Infinity),
    migrationsTable: "pgmigrations",
    checkOrder: true,
    log: options.log ?? (() => undefined),
  });
  return applied.map((migration) => migration.name);
}
