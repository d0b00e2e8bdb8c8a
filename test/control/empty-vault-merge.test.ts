import { expect, it } from "vitest";
import type pg from "pg";
import { mergeChunksConsumer } from "../../lib/ingest/merge-consumer";
import { pipelineDeps } from "../../lib/ingest/pipeline-deps";
import { uniqueEmail } from "../support/api";
import { drivePipeline, realHandlers } from "../support/drive";
import { chatgptExport, conversations } from "../support/exports";
import { expectConsistent, readVault, uploadBytes } from "../support/ingest";
import { useTestStack } from "../support/stack";
import { uploadRow } from "../support/uploads";
import { listKeys } from "./support";

/**
 * Emptying a vault while one of its merges is under way, played at an exact point: the merge has written
 * version N+1 and is about to switch to it when the vault is emptied. Consumers are off; the pipeline's
 * messages are delivered by hand, in queue order, as the reduce queue's FIFO group would.
 */
const ctx = useTestStack({ consumers: false });

/** A pool whose first query matching `pattern` (inside a transaction) waits for `meanwhile` to finish first. */
function pausingPool(pool: pg.Pool, pattern: RegExp, meanwhile: () => Promise<void>): { pool: pg.Pool; reached: () => boolean } {
  let reached = false;
  const pause = async (sql: unknown) => {
    const text = typeof sql === "string" ? sql : ((sql as { text?: string })?.text ?? "");
    if (reached || !pattern.test(text)) return;
    reached = true;
    await meanwhile();
  };
  const wrapClient = (client: pg.PoolClient) =>
    new Proxy(client, {
      get(target, prop, receiver) {
        if (prop === "query") return async (sql: unknown, ...rest: unknown[]) => (await pause(sql), (target.query as (...args: unknown[]) => unknown)(sql, ...rest));
        const value = Reflect.get(target, prop, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  const wrapped = new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop === "connect") return async () => wrapClient(await target.connect());
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { pool: wrapped, reached: () => reached };
}

it("switches nothing when a merge under way finds the vault emptied, and its files go with the vault's", async () => {
  const { body: user } = await ctx.api.signUp(uniqueEmail("empty-merge"));
  const prefix = `users/${user.user_id}`;
  const first = await uploadBytes(ctx.api, user.token, "conversations.json", chatgptExport(conversations("before", 5, 2, "orchids")));
  await drivePipeline(ctx.stack, async () => (await uploadRow(ctx.db, first)).state === "complete");
  expect((await readVault(ctx.db, user.user_id)).vault).toMatchObject({ current_version: 1, node_count: 10 });

  // The second upload's merge writes version 2, then the vault is emptied just before its switch.
  const second = await uploadBytes(ctx.api, user.token, "conversations.json", chatgptExport(conversations("during", 6, 2, "tidal pools")));
  let emptied: Awaited<ReturnType<typeof ctx.api.call>> | undefined;
  let writtenBeforeEmptying: string[] = [];
  const paused = pausingPool(pipelineDeps().db, /UPDATE personal\.vault_exchanges SET state = 'merged'/, async () => {
    writtenBeforeEmptying = await listKeys(`${prefix}/corpus/`);
    emptied = await ctx.api.call("DELETE", "/api/personal/vault", { token: user.token, body: { password: "a long enough passphrase" } });
  });
  const reduce = mergeChunksConsumer(() => ({ ...pipelineDeps(), db: paused.pool })).main;
  await drivePipeline(ctx.stack, async () => (await listKeys(`${prefix}/`)).length === 1, { handlers: { ...realHandlers, reduce } });

  expect(paused.reached()).toBe(true);
  expect(writtenBeforeEmptying).toContain(`${prefix}/corpus/v000002/nodes.json`);
  expect(emptied?.status).toBe(202);
  expect(await listKeys(`${prefix}/`)).toEqual([`${prefix}/vault.json`]);
  const after = await ctx.db.query("SELECT current_version, node_count, total_bytes FROM personal.vaults WHERE user_id = $1", [user.user_id]);
  expect(after.rows[0]).toMatchObject({ current_version: 2, node_count: 0 });
  expect(Number(after.rows[0].total_bytes)).toBe(0);
  expect((await ctx.db.query("SELECT 1 FROM personal.vault_uploads WHERE id = ANY($1::uuid[])", [[first, second]])).rows).toEqual([]);

  // The next upload starts the vault afresh, as version 3, holding only its own memories.
  const third = await uploadBytes(ctx.api, user.token, "conversations.json", chatgptExport(conversations("after", 4, 2, "kites")));
  await drivePipeline(ctx.stack, async () => (await uploadRow(ctx.db, third)).state === "complete");
  const state = await readVault(ctx.db, user.user_id);
  expect(state.vault).toMatchObject({ current_version: 3, node_count: 8 });
  expectConsistent(state);
  expect(state.nodes.every((node) => node.kind === "exchange" && node.conversation_id.startsWith("after"))).toBe(true);
}, 180_000);
