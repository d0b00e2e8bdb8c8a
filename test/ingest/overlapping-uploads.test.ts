import { describe, expect, it } from "vitest";
import { createPool } from "../../lib/db/pool";
import { getStore } from "../../lib/store/client";
import { uniqueEmail } from "../support/api";
import { drivePipeline, splitEvent as split, takeIngestEvent } from "../support/drive";
import { chatgptExport, conversations } from "../support/exports";
import { crashingStore } from "../support/faults";
import { expectConsistent, readVault, uploadBytes } from "../support/ingest";
import { useTestStack } from "../support/stack";
import { backdate, uploadRow } from "../support/uploads";

/**
 * Uploads of one vault that share exchanges, interleaved by hand at the points where one's fate
 * decides what the other must store. Consumers are off: every message is delivered by the test.
 */
const ctx = useTestStack({ consumers: false });

const settled = (...ids: string[]) => async () => {
  for (const id of ids) if (!["complete", "failed"].includes((await uploadRow(ctx.db, id)).state)) return false;
  return true;
};

describe("a split's database connections", () => {
  it("are taken one at a time, so a function with a pool of one connection finishes its split", async () => {
    const { body: user } = await ctx.api.signUp(uniqueEmail("pool"));
    const uploadId = await uploadBytes(ctx.api, user.token, "conversations.json", chatgptExport(conversations("pool", 20, 3)));
    const event = await takeIngestEvent(ctx.stack, uploadId);
    const single = createPool({ url: ctx.stack.databaseUrl, poolSize: 1, tls: "off" });
    try {
      await split(event, { db: single });
    } finally {
      await single.end();
    }

    expect(await uploadRow(ctx.db, uploadId)).toMatchObject({ state: "embedding", exchanges_found: 60 });
    await drivePipeline(ctx.stack, settled(uploadId));
  });
});

describe("overlapping uploads of one vault", () => {
  it("keeps every memory of an upload whose exchanges a concurrent upload claimed and then failed with", async () => {
    const { body: user } = await ctx.api.signUp(uniqueEmail("overlap"));
    const all = conversations("x", 400, 3);
    // X: a 1,200-exchange export cut 200 bytes short; Y: X's first 10 conversations, whole.
    const x = await uploadBytes(ctx.api, user.token, "conversations.json", chatgptExport(all).subarray(0, -200));
    const y = await uploadBytes(ctx.api, user.token, "first-ten.json", chatgptExport(all.slice(0, 10)));
    const xEvent = await takeIngestEvent(ctx.stack, x);
    const yEvent = await takeIngestEvent(ctx.stack, y);

    // X's split claims its first batch of exchanges (Y's 30 among them), then dies writing its first chunk.
    const { store } = crashingStore(getStore(), "PutObjectCommand");
    await expect(split(xEvent, { store })).rejects.toThrow(/injected crash/);
    // Y is split while X still holds those claims.
    await split(yEvent);
    // X's retry reads on to the damage and fails, letting go of its claims.
    await backdate(ctx.db, x, 3600);
    await split(xEvent);
    await drivePipeline(ctx.stack, settled(x, y));

    expect(await uploadRow(ctx.db, x)).toMatchObject({ state: "failed" });
    expect(await uploadRow(ctx.db, y)).toMatchObject({ state: "complete", nodes_created: 30, nodes_deduplicated: 0 });
    const vault = await readVault(ctx.db, user.user_id);
    expectConsistent(vault);
    expect(vault.nodes).toHaveLength(30);

    // Y's bytes again: a duplicate of an upload whose memories are in the vault.
    const again = await uploadBytes(ctx.api, user.token, "first-ten.json", chatgptExport(all.slice(0, 10)));
    await drivePipeline(ctx.stack, settled(again));
    expect(await uploadRow(ctx.db, again)).toMatchObject({ state: "complete", duplicate_of: y, nodes_created: 0 });
  }, 120_000);
});
