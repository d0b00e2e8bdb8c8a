import { describe, expect, it } from "vitest";
import { uniqueEmail } from "../support/api";
import { drivePipeline, splitEvent, takeIngestEvent } from "../support/drive";
import { chatgptExport, conversations } from "../support/exports";
import { expectConsistent, readVault, uploadLargeBytes } from "../support/ingest";
import { useTestStack } from "../support/stack";
import { uploadRow } from "../support/uploads";

const ctx = useTestStack({ consumers: false });

describe("the split's chunk sizes", () => {
  it("holds eight times the chunk size while much of the file is left, after first chunks that double up to it, and the chunk size in its last part", async () => {
    const { body: user } = await ctx.api.signUp(uniqueEmail("chunk-sizes"));
    // ~11.7 MB (sent in parts): the first two chunks of 800 are sized by the claim batches taken 1,500 and 2,500
    // exchanges (~2.2 and ~3.7 MB) in, which with the reader's few MB in flight ahead of the parse (more
    // on a loaded machine) leave more than a fifth of the file to read.
    const padding = " and then water it again".repeat(30);
    const json = chatgptExport(conversations("sizes", 2667, 3).map((spec) => ({ ...spec, turns: spec.turns.map(([human, answer]) => [human, answer + padding] as [string, string]) })));
    const id = await uploadLargeBytes(ctx.api, user.token, "conversations.json", json);

    await splitEvent(await takeIngestEvent(ctx.stack, id), { chunkSize: 100, largeChunksWhileLeft: Math.floor(json.length / 5) });
    await drivePipeline(ctx.stack, async () => (await uploadRow(ctx.db, id)).state === "complete");

    const { rows } = await ctx.db.query<{ records: number }>("SELECT records FROM personal.upload_chunks WHERE upload_id = $1 ORDER BY chunk_index", [id]);
    const sizes = rows.map((row) => row.records);
    expect(sizes.reduce((sum, records) => sum + records, 0)).toBe(8001);
    // The file's first four fifths (less what the reader has read ahead) in chunks of 100, 200, 400,
    // then 800, the rest in chunks of 100.
    expect(sizes.slice(0, 3)).toEqual([100, 200, 400]);
    const large = sizes.filter((records) => records === 800).length;
    expect(large).toBeGreaterThanOrEqual(2);
    expect(sizes.slice(3, 3 + large)).toEqual(Array(large).fill(800));
    expect(sizes.slice(3 + large, -1).every((records) => records === 100)).toBe(true);
    expect(sizes.slice(3 + large).length).toBeGreaterThanOrEqual(5);
    const vault = await readVault(ctx.db, user.user_id);
    expectConsistent(vault);
    expect(vault.nodes).toHaveLength(8001);
  }, 120_000);

  it("has the store copy the lines of chunks over 5 MiB into nodes.json, which reads back as the export's exchanges in order", async () => {
    const { body: user } = await ctx.api.signUp(uniqueEmail("copied-chunks"));
    // 3,000 exchanges of ~7 KB (21 MB, sent in parts): chunks of 100, 200, 400, then 800 (~6 MB of lines)
    // while a sixth of the file is left (the fourth chunk's size is decided 1,500 exchanges, ~11 MB, in),
    // then of 100.
    const padding = " and then water it again".repeat(280);
    const specs = conversations("copied", 1000, 3).map((spec) => ({ ...spec, turns: spec.turns.map(([human, answer]) => [human, answer + padding] as [string, string]) }));
    const json = chatgptExport(specs);
    const id = await uploadLargeBytes(ctx.api, user.token, "conversations.json", json);

    await splitEvent(await takeIngestEvent(ctx.stack, id), { chunkSize: 100, largeChunksWhileLeft: Math.floor(json.length / 6) });
    await drivePipeline(ctx.stack, async () => (await uploadRow(ctx.db, id)).state === "complete");

    const { rows } = await ctx.db.query<{ records: number }>("SELECT records FROM personal.upload_chunks WHERE upload_id = $1 ORDER BY chunk_index", [id]);
    expect(rows.slice(0, 4).map((row) => row.records)).toEqual([100, 200, 400, 800]);
    // The first three chunks (~4.9 MB of lines) and a little of the fourth make nodes.json's first part
    // after its "[\n", so they are read through; the rest of the fourth is copied.
    const timings = (await uploadRow(ctx.db, id)).timings as Record<string, number>;
    expect(timings.merge_copied_bytes).toBeGreaterThan(5 * 1024 * 1024);
    const vault = await readVault(ctx.db, user.user_id);
    expectConsistent(vault);
    expect(vault.nodes.map((node) => (node.kind === "exchange" ? node.assistant : ""))).toEqual(specs.flatMap((spec) => spec.turns.map(([, answer]) => answer)));
  }, 120_000);
});
