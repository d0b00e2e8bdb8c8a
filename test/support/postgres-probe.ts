/**
 * Run in a fresh Node process (NODE_EXTRA_CA_CERTS is read only at process start): opens the production
 * pool from this process's configuration (environment and SST links) and prints whether the session
 * is encrypted, or the error that stopped it.
 */
import { getConfig } from "../../lib/config";
import { createPool } from "../../lib/db/pool";

const pool = createPool({ ...getConfig().database, poolSize: 1 });
try {
  const { rows } = await pool.query<{ ssl: boolean }>("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
  console.log(JSON.stringify({ ssl: rows[0]!.ssl }));
} catch (error) {
  console.log(JSON.stringify({ error: (error as Error).message }));
} finally {
  await pool.end();
}
