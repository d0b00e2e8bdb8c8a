import pg from "pg";
import { describe, expect, it } from "vitest";
import { conversations } from "../support/exports";
import { useTestStack } from "../support/stack";
import { importConversations, newUser } from "../search/support";
import { whileAMergeCommits } from "./support";

const ctx = useTestStack();

describe("whileAMergeCommits (the deadlock tests' merge-ordered transaction)", () => {
  it("leaves no lock and no open transaction behind when the request never comes to wait", async () => {
    const user = await newUser(ctx.api, ctx.db, "support-helper", "premium");
    await importConversations(ctx.api, user, conversations("support-helper", 2, 2, "beekeeping"));
    const { rows } = await ctx.db.query<{ id: string }>("SELECT id FROM personal.vaults WHERE user_id = $1", [user.userId]);
    const vaultId = rows[0]!.id;

    // A request that never waits on the memories: the helper's poll gives up.
    await expect(whileAMergeCommits(ctx.db, vaultId, "a statement that never runs", async () => "answered", { waitMs: 500 })).rejects.toThrow();

    expect((await ctx.db.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE state LIKE 'idle in transaction%'")).rows[0].n).toBe(0);
    // The server's deadlock_timeout, raised for the helper's cycle, is back to its default.
    await expect.poll(async () => (await ctx.db.query("SHOW deadlock_timeout")).rows[0].deadlock_timeout).toBe("1s");
    // A session of its own (not one from the pool the helper used) can take the memories' row locks at once.
    const other = new pg.Client({ connectionString: ctx.stack.databaseUrl });
    await other.connect();
    try {
      await other.query("BEGIN");
      await other.query("SET LOCAL lock_timeout = '2s'");
      const locked = await other.query("UPDATE personal.vault_exchanges SET state = state WHERE vault_id = $1", [vaultId]);
      expect(locked.rowCount).toBeGreaterThan(0);
      await other.query("ROLLBACK");
    } finally {
      await other.end();
    }
  });
});
