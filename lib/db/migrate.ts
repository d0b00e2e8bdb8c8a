import { fileURLToPath } from "node:url";
import { runner } from "node-pg-migrate";
import type pg from "pg";

/** The project's `migrations/` folder, when running from source (a bundle carries a copy elsewhere). */
export const sourceMigrationsDir = fileURLToPath(new URL("../../migrations", import.meta.url));

/**
 * Applies the SQL migrations in `dir` (up) or undoes `count` of them (down). node-pg-migrate
 * takes an advisory lock, so two processes starting at once do not race.
 */
export async function migrate(
  databaseUrl: string | pg.ClientConfig,
  options: { direction?: "up" | "down"; count?: number; dir?: string; log?: (line: string) => void } = {},
) {
  const applied = await runner({
    databaseUrl,
    dir: options.dir ?? sourceMigrationsDir,
    direction: options.direction ?? "up",
    count: options.count ?? (options.direction === "down" ? 1 : Infinity),
    migrationsTable: "pgmigrations",
    checkOrder: true,
    log: options.log ?? (() => undefined),
  });
  return applied.map((migration) => migration.name);
}
