import pg from "pg";
import { getConfig } from "../config";
import { logger } from "../log";

// BIGINT and NUMERIC arrive as strings by default; our counters fit comfortably in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

let pool: pg.Pool | undefined;

/** Creates a pool; functions hold one per container, so keep it small (see DATABASE_POOL_SIZE). */
export function createPool(connectionString: string, max: number): pg.Pool {
  const created = new pg.Pool({ connectionString, max, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 10_000 });
  // An idle client losing its connection (a server restart, a proxy's idle cut) must not crash the
  // process; the pool drops that client and the next checkout connects anew, so it is a warning.
  // https://node-postgres.com/apis/pool#error
  created.on("error", (error) => logger.warn("postgres pool: an idle connection was lost; the next query reconnects", { error: error.message }));
  return created;
}

/** The process-wide pool, made on first use. */
export function getPool(): pg.Pool {
  if (!pool) {
    const { database } = getConfig();
    pool = createPool(database.url, database.poolSize);
  }
  return pool;
}

export async function closePool(): Promise<void> {
  const closing = pool;
  pool = undefined;
  await closing?.end();
}

export type Queryable = Pick<pg.Pool, "query"> | pg.PoolClient;
