import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { main as splitMain } from "../../functions/queues/split-upload";
import { embedChunkConsumer } from "../../lib/ingest/consumers";
import { mergeChunksConsumer } from "../../lib/ingest/merge-consumer";
import { pipelineDeps } from "../../lib/ingest/pipeline-deps";
import { enqueueChunks } from "../../lib/ingest/pipeline-messages";
import { getSqs } from "../../lib/queues/client";
import { attemptPrefix } from "../../lib/ingest/work-files";
import { getStore } from "../../lib/store/client";
import { keyPages, objectBytes } from "../../lib/store/streams";
import { versionKeys } from "../../lib/vaults/versions";
import { ClustersDocSchema } from "../../lib/vectors/clusters";
import { decodeSample, inSample, samplePriority, SAMPLE_RATE } from "../../lib/vectors/sample-file";
import { uniqueEmail } from "../support/api";
import { dropMessages, drivePipeline, splitEvent, takeIngestEvent, type PipelineHandlers } from "../support/drive";
import { chatgptExport, conversations } from "../support/exports";
import { expectConsistent, readVault, uploadBytes } from "../support/ingest";
import { useTestStack } from "../support/stack";
import { uploadRow } from "../support/uploads";
import { findUpload } from "../../lib/uploads/upload-rows";

const ctx = useTestStack({ consumers: false });

/** The pipeline as for an upload of 256 MiB or more (every chunk sampled), clustering first versions of `clusterThreadRows` rows on the thread. */
const sampledPipeline = (clusterThreadRows: number): PipelineHandlers => ({
  ingest: splitMain,
  embed: embedChunkConsumer(() => ({ ...pipelineDeps(), sampledUploadBytes: 0 })).main,
  reduce: mergeChunksConsumer(() => ({ ...pipelineDeps(), clusterThreadRows })).main,
});

describe("a large upload's clustering samples", () => {
  it("are written by the embed workers, a quarter of each chunk's rows by hash, and its first version's clusters are fitted on them", async () => {
    const { body: user } = await ctx.api.signUp(uniqueEmail("samples"));
    const id = await uploadBytes(ctx.api, user.token, "conversations.json", chatgptExport(conversations("sampled", 1000, 3)));
    await splitEvent(await takeIngestEvent(ctx.stack, id), { chunkSize: 500 });

    // As for a 256 MiB upload, and a first version of 65,536 rows: this one has 3,000.
    const embedOnly: PipelineHandlers = { ingest: splitMain, embed: embedChunkConsumer(() => ({ ...pipelineDeps(), sampledUploadBytes: 0 })).main, reduce: async () => undefined };
    const upload = (await findUpload(ctx.db, id))!;
    await drivePipeline(ctx.stack, async () => (await uploadRow(ctx.db, id)).state === "merging", { handlers: embedOnly, only: ["embed"] });
    const keys: string[] = [];
    for await (const page of keyPages(getStore(), attemptPrefix(upload.vault_prefix, id, upload.split_attempt))) keys.push(...page.filter((key) => key.endsWith(".sample.bin")));
    expect(keys).toHaveLength(6);
    let sampled = 0;
    for (const key of keys) {
      const sample = decodeSample(await objectBytes(getStore(), key), upload.embedding_dim!);
      expect([...sample.priorities].every(inSample)).toBe(true);
      sampled += sample.priorities.length;
    }

    const merge: PipelineHandlers = { ...embedOnly, reduce: mergeChunksConsumer(() => ({ ...pipelineDeps(), clusterThreadRows: 1_000 })).main };
    await drivePipeline(ctx.stack, async () => (await uploadRow(ctx.db, id)).state === "complete", { handlers: merge });
    const vault = await readVault(ctx.db, user.user_id);
    expectConsistent(vault);
    expect(vault.nodes).toHaveLength(3000);
    // Every exchange whose hash puts it in the sample was sampled, and only those.
    expect(sampled).toBe(vault.nodes.filter((node) => inSample(samplePriority(node.hash))).length);
    expect(sampled / 3000).toBeGreaterThan(SAMPLE_RATE - 0.05);
    const clusters = ClustersDocSchema.parse(JSON.parse((await objectBytes(getStore(), versionKeys(vault.vault.prefix, vault.vault.current_version).clusters)).toString("utf8")));
    // Fitted on the samples (all of them: fewer than 16,384), every node assigned.
    expect(clusters.params.sample_size).toBe(sampled);
    expect(clusters.assignments).toHaveLength(3000);
    expect(clusters.clusters.reduce((sum, cluster) => sum + cluster.size, 0)).toBe(3000);
  }, 120_000);

  it("are not used by a merge that adopts rows another upload embedded: its own samples do not hold them", async () => {
    const { body: user } = await ctx.api.signUp(uniqueEmail("samples-adopt"));
    const all = conversations("adopt", 400, 3);
    // B holds every exchange; A, a third of them, defers all of its own to B.
    const b = await uploadBytes(ctx.api, user.token, "all.json", chatgptExport(all));
    const a = await uploadBytes(ctx.api, user.token, "part.json", chatgptExport(all.slice(0, 200)));
    const bEvent = await takeIngestEvent(ctx.stack, b);
    const aEvent = await takeIngestEvent(ctx.stack, a);
    await splitEvent(bEvent, { chunkSize: 300 });
    // B's chunks wait unembedded while A's are embedded, so A asks for its merge first.
    expect(await dropMessages(ctx.stack, "embed")).toBeGreaterThan(0);
    await splitEvent(aEvent, { chunkSize: 300 });
    const handlers = sampledPipeline(500);
    await drivePipeline(ctx.stack, async () => (await uploadRow(ctx.db, a)).state === "merging", { handlers, only: ["embed"] });
    const bRow = (await findUpload(ctx.db, b))!;
    await enqueueChunks({ db: ctx.db, sqs: getSqs(), embedQueueUrl: ctx.stack.emulator.queues.embed.url }, bRow, bRow.split_attempt);
    // Both have finished embedding before either merges: A's merge, asked first, finds B merging and adopts B's vectors.
    await drivePipeline(ctx.stack, async () => (await uploadRow(ctx.db, b)).state === "merging", { handlers, only: ["embed"] });
    await drivePipeline(ctx.stack, async () => (await uploadRow(ctx.db, a)).state === "complete" && (await uploadRow(ctx.db, b)).state === "complete", { handlers });
    expect(await uploadRow(ctx.db, a)).toMatchObject({ nodes_created: 600 });

    const vault = await readVault(ctx.db, user.user_id);
    expectConsistent(vault);
    expect(vault.nodes).toHaveLength(1200);
    // A's version (the first) was clustered on A's 600 rows, not on A's samples, which hold none of them.
    const first = ClustersDocSchema.parse(JSON.parse((await objectBytes(getStore(), versionKeys(vault.vault.prefix, 1).clusters)).toString("utf8")));
    expect(first.assignments).toHaveLength(600);
    expect(first.params.sample_size).toBe(600);
    expect(first.clusters.length).toBeGreaterThan(1);
    expect(first.clusters.reduce((sum, cluster) => sum + cluster.size, 0)).toBe(600);
  }, 120_000);

  it("are not used unless every chunk has one (an upload split before the deploy that brought them): the merge clusters every row as before", async () => {
    const { body: user } = await ctx.api.signUp(uniqueEmail("samples-partial"));
    const id = await uploadBytes(ctx.api, user.token, "conversations.json", chatgptExport(conversations("partly", 1000, 3)));
    await splitEvent(await takeIngestEvent(ctx.stack, id), { chunkSize: 500 });
    const handlers = sampledPipeline(1_000);
    await drivePipeline(ctx.stack, async () => (await uploadRow(ctx.db, id)).state === "merging", { handlers, only: ["embed"] });
    const upload = (await findUpload(ctx.db, id))!;
    const samples: string[] = [];
    for await (const page of keyPages(getStore(), attemptPrefix(upload.vault_prefix, id, upload.split_attempt))) samples.push(...page.filter((key) => key.endsWith(".sample.bin")));
    expect(samples).toHaveLength(6);
    await getStore().client.send(new DeleteObjectCommand({ Bucket: getStore().bucket, Key: samples[3]! }));

    await drivePipeline(ctx.stack, async () => (await uploadRow(ctx.db, id)).state === "complete", { handlers });
    const vault = await readVault(ctx.db, user.user_id);
    expectConsistent(vault);
    const clusters = ClustersDocSchema.parse(JSON.parse((await objectBytes(getStore(), versionKeys(vault.vault.prefix, vault.vault.current_version).clusters)).toString("utf8")));
    // Every one of the 3,000 rows sampled (fewer than 16,384), not the ~750 of the samples.
    expect(clusters.params.sample_size).toBe(3000);
    expect(clusters.assignments).toHaveLength(3000);
  }, 120_000);
});
