import { createHash } from "node:crypto";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { claimExchanges, markMerged, type ClaimOutcome } from "../../lib/ingest/claims";
import type { Queryable } from "../../lib/db/pool";
import { newUser } from "../search/support";
import { useTestStack } from "../support/stack";

const ctx = useTestStack({ consumers: false });

const hashesOf = (label: string, count: number) => Array.from({ length: count }, (_, index) => createHash("sha256").update(`${label} ${index}`).digest());

/** A user's vault and a new upload row of it, as the upload route makes one. */
async function newUpload(token: string): Promise<string> {
  const created = await ctx.api.call("POST", "/api/personal/vault/uploads", { token, body: { filename: "conversations.json", size: 100 } });
  return created.body.upload_id as string;
}

async function vaultOf(userId: string): Promise<string> {
  const { rows } = await ctx.db.query<{ id: string }>("SELECT id FROM personal.vaults WHERE user_id = $1", [userId]);
  return rows[0]!.id;
}

/** Claims as the split does: batches of a thousand. */
async function claimAll(db: Queryable, vaultId: string, uploadId: string, hashes: Buffer[]): Promise<ClaimOutcome[]> {
  const outcomes: ClaimOutcome[] = [];
  for (let at = 0; at < hashes.length; at += 1000) {
    const batch = hashes.slice(at, at + 1000);
    outcomes.push(...(await claimExchanges(db, vaultId, uploadId, batch, batch.map((hash) => hash.toString("hex").slice(0, 16)))));
  }
  return outcomes;
}

/** The heap page of each of the upload's claims, by hash: a row's `ctid` is (page, item). */
async function pagesOf(uploadId: string): Promise<Map<string, number>> {
  const { rows } = await ctx.db.query<{ hash: string; page: string }>(
    "SELECT encode(content_hash, 'hex') AS hash, (ctid::text::point)[0] AS page FROM personal.vault_exchanges WHERE upload_id = $1",
    [uploadId],
  );
  return new Map(rows.map((row) => [row.hash, Number(row.page)]));
}

describe("the merge's commit marks an upload's claims merged", () => {
  it("in place: every row stays on its page, so no index gets an entry for it", async () => {
    const user = await newUser(ctx.api, ctx.db, "claims-in-place");
    const vaultId = await vaultOf(user.userId);
    const uploadId = await newUpload(user.token);
    expect(new Set(await claimAll(ctx.db, vaultId, uploadId, hashesOf(uploadId, 3000)))).toEqual(new Set(["mine"]));
    const before = await pagesOf(uploadId);
    expect(before.size).toBe(3000);
    expect(new Set(before.values()).size).toBeGreaterThan(10);

    expect(await markMerged(ctx.db, vaultId, uploadId)).toBe(3000);

    const after = await pagesOf(uploadId);
    const moved = [...after].filter(([hash, page]) => before.get(hash) !== page);
    // On full pages (the table's default fillfactor) every row moved to a new page.
    expect(moved.length).toBe(0);
    const { rows: states } = await ctx.db.query("SELECT state, count(*)::int AS n FROM personal.vault_exchanges WHERE upload_id = $1 GROUP BY state", [uploadId]);
    expect(states).toEqual([{ state: "merged", n: 3000 }]);
    // Marked once: a second commit finds nothing left to mark.
    expect(await markMerged(ctx.db, vaultId, uploadId)).toBe(0);
  });
});

describe("claiming a batch of exchanges", () => {
  it("reads the rows of its batch, not every row of the vault", async () => {
    const user = await newUser(ctx.api, ctx.db, "claims-read");
    const vaultId = await vaultOf(user.userId);
    // A vault of 20,000 memories, and an upload still holding 300 more.
    const first = await newUpload(user.token);
    const inVault = hashesOf(first, 20_000);
    await claimAll(ctx.db, vaultId, first, inVault);
    await markMerged(ctx.db, vaultId, first);
    const holder = await newUpload(user.token);
    const held = hashesOf(holder, 300);
    await claimAll(ctx.db, vaultId, holder, held);

    // A re-export: 400 exchanges the vault has, 300 the other upload holds, 300 new.
    const upload = await newUpload(user.token);
    const fresh = hashesOf(upload, 300);
    const batch = [...inVault.slice(5000, 5400), ...held, ...fresh];
    // A connection of its own: the counts below are its backend's, which may still hold earlier statements' until flushed.
    const client = new pg.Client({ connectionString: ctx.stack.databaseUrl });
    await client.connect();
    try {
      await client.query("BEGIN");
      const outcomes = await claimExchanges(client, vaultId, upload, batch, batch.map((hash) => hash.toString("hex").slice(0, 16)));
      // This transaction's own reads of the table so far (https://www.postgresql.org/docs/current/monitoring-stats.html).
      const { rows } = await client.query<{ fetched: string; returned: string }>(
        "SELECT pg_stat_get_xact_tuples_fetched('personal.vault_exchanges'::regclass) AS fetched, pg_stat_get_xact_tuples_returned('personal.vault_exchanges'::regclass) AS returned",
      );
      await client.query("COMMIT");
      expect(outcomes).toEqual([...Array(400).fill("merged"), ...Array(300).fill("held"), ...Array(300).fill("mine")]);
      // Looked up by key: the batch's rows (and their index entries), a few times over; a scan of the
      // vault's rows reads 20,000 and more.
      expect(Number(rows[0]!.fetched) + Number(rows[0]!.returned)).toBeLessThan(5 * batch.length);
    } finally {
      await client.end();
    }
    // The same batch again: this upload's own claims are still its own, the rest unchanged.
    expect(await claimExchanges(ctx.db, vaultId, upload, batch, batch.map((hash) => hash.toString("hex").slice(0, 16)))).toEqual([
      ...Array(400).fill("merged"),
      ...Array(300).fill("held"),
      ...Array(300).fill("mine"),
    ]);
  });
});
