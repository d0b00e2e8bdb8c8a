import type pg from "pg";

/**
 * Runs `work` in one transaction on a client from `pool`: committed if it resolves, rolled back if it
 * throws. Side effects that other workers act on (queue messages, objects) belong after this returns.
 */
export async function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
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
