import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { claimExchanges, markMerged } from "../../lib/ingest/claims";
import { newUser } from "../search/support";
import { useTestStack } from "../support/stack";

const ctx = useTestStack({ consumers: false });

/** The heap page of each of the upload's claims, by hash: a row's `ctid` is (page, item). */
async function pagesOf(uploadId: string): Promise<Map<string, number>> {
  const { rows } = await ctx.db.query<{ hash: string; page: string; state: string }>(
    "SELECT encode(content_hash, 'hex') AS hash, (ctid::text::point)[0] AS page, state FROM personal.vault_exchanges WHERE upload_id = $1",
    [uploadId],
  );
  return new Map(rows.map((row) => [row.hash, Number(row.page)]));
}

describe("the merge's commit marks an upload's claims merged", () => {
  it("in place: every row stays on its page, so no index gets an entry for it", async () => {
    const user = await newUser(ctx.api, ctx.db, "claims-in-place");
    const created = await ctx.api.call("POST", "/api/personal/vault/uploads", { token: user.token, body: { filename: "conversations.json", size: 100 } });
    const uploadId = created.body.upload_id as string;
    const { rows } = await ctx.db.query<{ id: string }>("SELECT id FROM personal.vaults WHERE user_id = $1", [user.userId]);
    const vaultId = rows[0]!.id;
    // As the split claims them: batches of a thousand, enough rows to fill many pages.
    const hashes = Array.from({ length: 3000 }, (_, index) => createHash("sha256").update(`exchange ${index}`).digest());
    for (let at = 0; at < hashes.length; at += 1000) {
      const batch = hashes.slice(at, at + 1000);
      expect(new Set(await claimExchanges(ctx.db, vaultId, uploadId, batch, batch.map((hash) => hash.toString("hex").slice(0, 16))))).toEqual(new Set(["mine"]));
    }
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
