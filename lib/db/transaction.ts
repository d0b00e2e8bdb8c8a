import type pg from "pg";

/** SQLSTATE `deadlock_detected` (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
const DEADLOCK_DETECTED = "40P01";

export interface TransactionOptions {
  /**
   * How many times to run `work` again, in a new transaction, when PostgreSQL breaks a deadlock by failing
   * this one (https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-DEADLOCKS). Only for
   * work that is safe to repeat and whose lock order cannot match the other side's.
   */
  deadlockRetries?: number;
}

/**
 * Runs `work` in one transaction on a client from `pool`: committed if it resolves, rolled back if it
 * throws. Side effects that other workers act on (queue messages, objects) belong after this returns.
 */
export async function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  for (let retriesLeft = options.deadlockRetries ?? 0; ; retriesLeft -= 1) {
    try {
      return await once(pool, work);
    } catch (error) {
      if (retriesLeft <= 0 || (error as { code?: string }).code !== DEADLOCK_DETECTED) throw error;
    }
  }
}

async function once<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
