import pg from "pg";
import { getConfig, type Config } from "../config";
import { logger } from "../log";

// BIGINT and NUMERIC arrive as strings by default; our counters fit comfortably in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

let pool: pg.Pool | undefined;

/**
 * How to reach the database at `url`. With `tls: "verify-full"` the connection is encrypted and the
 * server's certificate must chain to a trusted CA and name the host; on Lambda
 * `NODE_EXTRA_CA_CERTS=/var/runtime/ca-cert.pem` adds Amazon's CAs, RDS's included
 * (https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html#nodejs-certificate-loading). An
 * `sslmode` in the URL overrides this, as in pg (https://node-postgres.com/features/ssl).
 */
export function connectionConfig(url: string, tls: Config["database"]["tls"]): pg.ClientConfig {
  return { connectionString: url, ...(tls === "verify-full" ? { ssl: { rejectUnauthorized: true } } : {}) };
}

/**
 * Creates a pool of at most `database.poolSize` connections. Functions hold one pool per container and
 * the stack gives each function its own size (1–2 for queue consumers, which run one record at a time),
 * so hundreds of containers stay within the server's or the pooler's connection limit.
 */
export function createPool(database: Pick<Config["database"], "url" | "poolSize" | "tls">): pg.Pool {
  const created = new pg.Pool({
    ...connectionConfig(database.url, database.tls),
    max: database.poolSize,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client losing its connection (a server restart, a proxy's idle cut) must not crash the
  // process; the pool drops that client and the next checkout connects anew, so it is a warning.
  // https://node-postgres.com/apis/pool#error
  created.on("error", (error) => logger.warn("postgres pool: an idle connection was lost; the next query reconnects", { error: error.message }));
  return created;
}

/** The process-wide pool, made on first use. */
export function getPool(): pg.Pool {
  pool ??= createPool(getConfig().database);
  return pool;
}

export async function closePool(): Promise<void> {
  const closing = pool;
  pool = undefined;
  await closing?.end();
}

export type Queryable = Pick<pg.Pool, "query"> | pg.PoolClient;
