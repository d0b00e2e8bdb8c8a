import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { Context, SQSRecord } from "aws-lambda";
import { beforeAll, describe, expect, it } from "vitest";
import { createLocalEmbedder, type Embedder } from "../../lib/embeddings";
import { embedChunkConsumer, splitUploadConsumer } from "../../lib/ingest/consumers";
import { mergeChunksConsumer } from "../../lib/ingest/merge-consumer";
import { pipelineDeps, type PipelineDeps } from "../../lib/ingest/pipeline-deps";
import { createIndexCache } from "../../lib/search/index-cache";
import { createSegmentBuilder } from "../../lib/search/segment-builder";
import { segmentKeys } from "../../lib/search/segment-keys";
import { readSearchManifest } from "../../lib/search/version-indexes";
import { getStore } from "../../lib/store/client";
import { objectRange } from "../../lib/store/ranged";
import { objectBytes } from "../../lib/store/streams";
import { versionKeys } from "../../lib/vaults/versions";
import { ClustersDocSchema } from "../../lib/vectors/clusters";
import { chunkRows, decodeRowFactBytes, ROW_FACT_BYTES_SECTION, ROW_FACTS_SECTION } from "../../lib/ingest/vault-files";
import { LABEL_CHARS } from "../../lib/ingest/vault-nodes";
import { decodeSections, encodeSections } from "../../lib/search/binary-sections";
import { PART_MAGIC } from "../../lib/search/segment-builder";
import { uniqueEmail } from "../support/api";
import { drivePipeline, type PipelineHandlers } from "../support/drive";
import { chatgptExport, conversations } from "../support/exports";
import { crashingPool, crashingSqs, crashingStore, type Fault } from "../support/faults";
import { expectConsistent, readVault, uploadBytes } from "../support/ingest";
import { useTestStack } from "../support/stack";
import { toRecord } from "../../local/queue-poller";
import { failUpload } from "../../lib/ingest/upload-state";
import { findUpload } from "../../lib/uploads/upload-rows";
import { uploadRow } from "../support/uploads";

/**
 * The real queue handlers, built by the same factories `functions/queues/*` use, with one client that
 * crashes at one exact point of one stage: the crashed message is delivered again (as SQS would after
 * its visibility timeout) and the final vault must equal a clean run's. Consumers are off, so nothing
 * else touches the queues.
 */
const ctx = useTestStack({ consumers: false });

// 1,200 exchanges: more than one claim batch (1,000) and five embed chunks (256).
const exportFile = chatgptExport(conversations("crash", 400, 3));

/** The three pipeline handlers over one set of dependencies, made once so a fault fires where counted. */
function handlers(wiring: (real: PipelineDeps) => PipelineDeps): PipelineHandlers {
  // A crashed split stops beating at once here; its redelivery need not wait out a full lease.
  const deps = wiring({ ...pipelineDeps(), leaseSeconds: 1 });
  const provide = () => deps;
  return { ingest: splitUploadConsumer(provide).main, embed: embedChunkConsumer(provide).main, reduce: mergeChunksConsumer(provide).main };
}

interface DriveOptions {
  /** Deliver every message twice. */
  twice?: boolean;
  /** The embedder the embed workers use (default: the configured one, as the split does). */
  embedWith?: Embedder;
  /** The export to upload (default: the clean run's). */
  file?: Buffer;
  /** Work still running outside the queues, awaited once the pipeline settled. */
  outside?: () => Promise<unknown>;
}

async function ingestWith(wiring: (real: PipelineDeps) => PipelineDeps, options: DriveOptions = {}) {
  const { body } = await ctx.api.signUp(uniqueEmail("crash"));
  const uploadId = await uploadBytes(ctx.api, body.token, "conversations.json", options.file ?? exportFile);
  const split = handlers(wiring);
  const embed = options.embedWith ? handlers((real) => ({ ...wiring(real), embedder: options.embedWith! })).embed : split.embed;
  const settled = async () => ["complete", "failed"].includes((await uploadRow(ctx.db, uploadId)).state);
  const outcome = await drivePipeline(ctx.stack, settled, { handlers: { ...split, embed }, twice: options.twice });
  await options.outside?.();
  const state = await readVault(ctx.db, body.user_id);
  const upload = await uploadRow(ctx.db, uploadId);
  const leftovers = (await ctx.db.query("SELECT count(*)::int AS n FROM personal.vault_exchanges WHERE upload_id = $1 AND state = 'claimed'", [uploadId])).rows[0].n;
  const work = await getStore().client.send(new ListObjectsV2Command({ Bucket: getStore().bucket, Prefix: `${state.vault.prefix}/work/` }));
  return { ...outcome, status: upload.state as string, state, upload, leftovers, workFiles: work.KeyCount ?? 0, hashes: state.nodes.map((node) => node.hash).sort() };
}

let clean: Awaited<ReturnType<typeof ingestWith>>;

// Each case runs the whole pipeline by hand; on a loaded 2-core machine that can pass 30 s.
describe("crashes and duplicate deliveries", { timeout: 120_000 }, () => {
  beforeAll(async () => {
    clean = await ingestWith((real) => real);
  });

  it("gives a clean run of 1,200 exchanges in 5 chunks to compare against", () => {
    expect(clean.status).toBe("complete");
    expect(clean.redeliveries).toBe(0);
    expect(clean.upload).toMatchObject({ nodes_created: 1200, chunks_total: 5, chunks_done: 5 });
    expectConsistent(clean.state);
  });

  const scenarios: Array<[string, (real: PipelineDeps) => PipelineDeps & { fault?: Fault }]> = [
    ["the split crashes between claiming two batches of exchanges", (real) => {
      const { pool, fault } = crashingPool(real.db, /INSERT INTO personal\.vault_exchanges/, { skip: 1 });
      return { ...real, db: pool, fault };
    }],
    ["the split crashes after recording its first chunk, before announcing it", (real) => {
      const { sqs, fault } = crashingSqs(real.sqs, "SendMessageBatchCommand");
      return { ...real, sqs, fault };
    }],
    ["an embed worker crashes after writing its vectors, before counting the chunk", (real) => {
      const { pool, fault } = crashingPool(real.db, /UPDATE personal\.upload_chunks SET state = 'done'/);
      return { ...real, db: pool, fault };
    }],
    ["the last embed worker crashes after counting, before asking for the merge", (real) => {
      const { sqs, fault } = crashingSqs(real.sqs, "SendMessageCommand");
      return { ...real, sqs, fault };
    }],
    ["the reducer crashes after writing the new version, before switching to it", (real) => {
      const { pool, fault } = crashingPool(real.db, /UPDATE personal\.vaults\s+SET current_version/);
      return { ...real, db: pool, fault };
    }],
    ["the reducer crashes after switching, while deleting work files", (real) => {
      const { store, fault } = crashingStore(real.store, "DeleteObjectCommand");
      return { ...real, store, fault };
    }],
  ];

  it.each(scenarios)("ends with the same vault as a clean run when %s", async (_name, inject) => {
    let fault: Fault | undefined;
    const result = await ingestWith((real) => {
      const wired = inject(real);
      fault = wired.fault;
      return wired;
    });

    expect(fault?.fired).toBe(1);
    expect(result.status).toBe("complete");
    expect(result.redeliveries).toBeGreaterThanOrEqual(1);
    expectConsistent(result.state);
    expect(result.hashes).toEqual(clean.hashes);
    expect(result.upload.nodes_created).toBe(1200);
    expect(result.state.vault.current_version).toBe(1);
    expect(result.leftovers).toBe(0);
    expect(result.workFiles).toBe(0);
  });

  // Embed workers take each chunk as soon as the split announces it: here each announced chunk is
  // embedded right away, before the split goes on.
  const alongside: Array<[string, (real: PipelineDeps, seen: EmbeddedAlongside) => PipelineDeps & { fault?: Fault }]> = [
    ["the split crashes after some of its chunks were embedded", (real, seen) => {
      const { pool, fault } = crashingPool(real.db, /INSERT INTO personal\.upload_chunks/, { skip: 3 });
      return { ...embeddingAlongside({ ...real, db: pool }, seen), fault };
    }],
    ["the split is retried after every chunk was embedded, before it recorded its end", (real, seen) => {
      const { pool, fault } = crashingPool(real.db, /SET source_type = \$3/);
      return { ...embeddingAlongside({ ...real, db: pool }, seen), fault };
    }],
    ["the split, last to finish, crashes before asking for the merge", (real, seen) => {
      const { sqs, fault } = crashingSqs(real.sqs, "SendMessageCommand");
      return { ...embeddingAlongside({ ...real, sqs }, seen), fault };
    }],
    ["each chunk's embed message is delivered twice while the split runs", (real, seen) => embeddingAlongside(real, seen, 2)],
  ];

  it.each(alongside)("ends with the same vault as a clean run when %s", async (_name, inject) => {
    let fault: Fault | undefined;
    const seen: EmbeddedAlongside = { deliveries: 0, doneWhileParsing: 0 };
    const result = await ingestWith((real) => {
      const wired = inject(real, seen);
      fault = wired.fault;
      return wired;
    });

    if (fault) expect(fault.fired).toBe(1);
    // Chunks really were embedded and counted while the upload was still being split.
    expect(seen.doneWhileParsing).toBeGreaterThanOrEqual(3);
    expect(result.status).toBe("complete");
    expectConsistent(result.state);
    expect(result.hashes).toEqual(clean.hashes);
    expect(result.upload).toMatchObject({ nodes_created: 1200, chunks_total: 5, chunks_done: 5 });
    expect(result.state.vault.current_version).toBe(1);
    expect(result.leftovers).toBe(0);
    expect(result.workFiles).toBe(0);
  });

  it("leaves no work files when the split fails on damage while an embed worker is still writing one of its chunks", async () => {
    // The embed workers take the chunks while the split runs, and store their vectors only once the
    // split has met the damage and failed the upload (removing its files).
    const embedding: Array<Promise<unknown>> = [];
    const result = await ingestWith(
      (real) => {
        const slowStore = { ...real.store, client: writingVectorsAfterFailure(real.store.client, real.db) };
        const deps: PipelineDeps = { ...real, sqs: announcingTo(real, (record) => embedding.push(embed({ Records: [record] }, {} as Context))) };
        const embed = embedChunkConsumer(() => ({ ...deps, store: slowStore })).main;
        return deps;
      },
      { file: exportFile.subarray(0, -200), outside: () => Promise.all(embedding) },
    );

    expect(embedding.length).toBeGreaterThanOrEqual(3);
    expect(result.status).toBe("failed");
    expect(result.upload.error_message).toContain("ends too early");
    expect(result.state.nodes).toEqual([]);
    expect(result.leftovers).toBe(0);
    expect(result.workFiles).toBe(0);
  });

  it("ends with the same vault as a clean run when every message is delivered twice", async () => {
    const result = await ingestWith((real) => real, { twice: true });

    expect(result.status).toBe("complete");
    expectConsistent(result.state);
    expect(result.hashes).toEqual(clean.hashes);
    expect(result.upload).toMatchObject({ nodes_created: 1200, chunks_done: 5 });
    expect(result.state.vault.current_version).toBe(1);
  });

  it("ends with the same vault as a clean run when its chunks were written as single-line arrays, by a split from before a deploy", async () => {
    let rewritten = 0;
    const result = await ingestWith((real) => ({ ...real, store: { ...real.store, client: singleLineChunks(real.store.client, () => rewritten++) } }), { twice: true });

    expect(rewritten).toBeGreaterThanOrEqual(5);
    expect(result.status).toBe("complete");
    expectConsistent(result.state);
    expect(result.hashes).toEqual(clean.hashes);
    const nodesJson = await objectBytes(getStore(), versionKeys(result.state.vault.prefix, 1).nodes);
    expect(nodesJson.toString("utf8")).toBe(`[\n${result.state.nodes.map((node) => JSON.stringify(node)).join(",\n")}\n]\n`);
    // Search reads each memory's line through the offsets the merge recorded.
    const cache = createIndexCache({ maxBytes: 1024 ** 3 });
    try {
      const embedder = { embedder: result.state.vault.embedder, model: result.state.vault.embedder_model, dim: result.state.vault.embedding_dim };
      const loaded = await cache.get(getStore(), { vaultId: result.state.vault.id, prefix: result.state.vault.prefix, version: 1, embedder });
      for (const row of [0, 777, 1199]) {
        const { offset, length } = loaded.memories.location(row);
        expect(JSON.parse((await objectRange(getStore(), versionKeys(result.state.vault.prefix, 1).nodes, offset, length)).toString("utf8"))).toEqual(result.state.nodes[row]);
      }
    } finally {
      await cache.clear();
    }
  });

  it("drops a chunk without a retry when its upload fails between the worker's check and its read of the chunk", async () => {
    // The worker has checked that the upload is embedding; before it reads its chunk, the upload fails
    // (another chunk's damage, the vault emptied) and its work files go. Nothing is lost by retrying,
    // but a retry would log an error a person is asked to look at.
    let failedMeanwhile = 0;
    const result = await ingestWith((real) => ({ ...real, store: { ...real.store, client: failingBeforeChunkReads(real, () => failedMeanwhile++) } }));

    expect(failedMeanwhile).toBe(1);
    expect(result.status).toBe("failed");
    expect(result.upload.error_message).toBe("failed while a worker held a chunk");
    expect(result.redeliveries).toBe(0);
    expect(result.state.nodes).toEqual([]);
    expect(result.leftovers).toBe(0);
    expect(result.workFiles).toBe(0);
  });

  it("joins the search parts its embed workers made into the segment files indexing every row gives, when every message is delivered twice", async () => {
    const written = new Set<string>();
    const read = new Set<string>();
    const watch = (command: unknown, key: string) => {
      if (command instanceof PutObjectCommand) written.add(key);
      if (command instanceof GetObjectCommand) read.add(key);
    };
    const result = await ingestWith((real) => ({ ...real, store: { ...real.store, client: watchingKeys(real.store.client, ".segment.bin", watch) } }), { twice: true });

    expect(result.status).toBe("complete");
    expect(result.hashes).toEqual(clean.hashes);
    expect(written.size).toBe(5);
    expect(read).toEqual(written);
    const keys = versionKeys(result.state.vault.prefix, 1);
    const manifest = (await readSearchManifest(getStore(), keys))!;
    expect(manifest.segments.map((segment) => segment.rows)).toEqual([1200]);
    // What the merge writes when it indexes each row itself, from the lines of nodes.json as stored.
    const nodesJson = await objectBytes(getStore(), keys.nodes);
    const builder = createSegmentBuilder();
    let at = 2;
    for (const node of result.state.nodes) {
      const length = Buffer.byteLength(JSON.stringify(node), "utf8");
      builder.add(node, { offset: at, length });
      at += length + 2;
    }
    expect(at).toBe(nodesJson.length - 1);
    const expected = builder.encode();
    const segment = segmentKeys(result.state.vault.prefix, manifest.segments[0]!.name);
    expect((await objectBytes(getStore(), segment.lexical)).equals(expected.lexical)).toBe(true);
    expect((await objectBytes(getStore(), segment.memories)).equals(expected.memories)).toBe(true);
    expect(result.workFiles).toBe(0);
  });

  it("takes each row's label from the facts its embed worker put in the search part, without parsing the chunk's lines", async () => {
    // Facts whose label texts differ from the rows': the topic labels show which the merge read.
    let rewritten = 0;
    const tamper = (facts: RowFactsJson) => factBytesSection({ ...facts, rows: facts.rows.map(([id, hash, title]) => [id, hash, title, "zebrafish quokka"]) });
    const result = await ingestWith((real) => ({ ...real, store: { ...real.store, client: rewritingRowFacts(real.store.client, tamper, () => rewritten++) } }));

    expect(rewritten).toBe(5);
    expect(result.status).toBe("complete");
    expect(result.hashes).toEqual(clean.hashes);
    const doc = await clustersOf(result.state.vault.prefix);
    expect(doc.clusters.length).toBeGreaterThan(1);
    for (const cluster of doc.clusters) expect(cluster.terms).toContain("zebrafish");
    expect(JSON.stringify(await clustersOf(clean.state.vault.prefix))).not.toContain("zebrafish");
  });

  it("ends with the same vault and topic labels as a clean run when its search parts carry no row facts, as embed workers from before them wrote", async () => {
    let rewritten = 0;
    const result = await ingestWith((real) => ({ ...real, store: { ...real.store, client: rewritingRowFacts(real.store.client, () => ({}), () => rewritten++) } }), { twice: true });

    expect(rewritten).toBeGreaterThanOrEqual(5);
    expect(result.status).toBe("complete");
    expectConsistent(result.state);
    expect(result.hashes).toEqual(clean.hashes);
    const [doc, cleanDoc] = await Promise.all([clustersOf(result.state.vault.prefix), clustersOf(clean.state.vault.prefix)]);
    const labels = (each: typeof doc) => each.clusters.map(({ label, terms, title, size }) => ({ label, terms, title, size }));
    expect(labels(doc)).toEqual(labels(cleanDoc));
    expect(doc.assignments).toEqual(cleanDoc.assignments);
    expect(result.workFiles).toBe(0);
  });

  it("takes the labels from row facts in the JSON section embed workers wrote before the facts' bytes section, as a clean run does", async () => {
    let rewritten = 0;
    const asJson = (facts: RowFactsJson) => ({ [ROW_FACTS_SECTION]: Buffer.from(JSON.stringify(facts), "utf8") });
    const tamper = (facts: RowFactsJson) => asJson({ ...facts, rows: facts.rows.map(([id, hash, title]) => [id, hash, title, "zebrafish quokka"]) });
    const [result, tampered] = [
      await ingestWith((real) => ({ ...real, store: { ...real.store, client: rewritingRowFacts(real.store.client, asJson, () => rewritten++) } })),
      await ingestWith((real) => ({ ...real, store: { ...real.store, client: rewritingRowFacts(real.store.client, tamper, () => rewritten++) } })),
    ];

    expect(rewritten).toBe(10);
    expect(result.status).toBe("complete");
    expect(result.hashes).toEqual(clean.hashes);
    const [doc, cleanDoc, tamperedDoc] = await Promise.all([clustersOf(result.state.vault.prefix), clustersOf(clean.state.vault.prefix), clustersOf(tampered.state.vault.prefix)]);
    const labels = (each: typeof doc) => each.clusters.map(({ label, terms, title, size }) => ({ label, terms, title, size }));
    expect(labels(doc)).toEqual(labels(cleanDoc));
    // The JSON section is the one read: its labels are the ones the clusters show.
    for (const cluster of tamperedDoc.clusters) expect(cluster.terms).toContain("zebrafish");
  });

  it("fails the upload, and leaves the vault alone, when the embed workers run another model than the split chose", async () => {
    const result = await ingestWith((real) => real, { embedWith: createLocalEmbedder({ dim: 512 }) });

    expect(result.status).toBe("failed");
    expect(result.upload.error_message).toContain("embedding service changed");
    expect(result.state.nodes).toEqual([]);
    expect(result.leftovers).toBe(0);
    expect(result.workFiles).toBe(0);
  });
});

/** clusters.json of a vault's first version. */
async function clustersOf(prefix: string) {
  return ClustersDocSchema.parse(JSON.parse((await objectBytes(getStore(), versionKeys(prefix, 1).clusters)).toString("utf8")));
}

/** Row facts with their label texts, as JSON (the layout of the section embed workers wrote first). */
type RowFactsJson = { labelChars: number; rows: [string, string, string | null, string][] };

/** `facts` in the layout of the section embed workers write now (lib/ingest/vault-files.ts, encodeRowFactBytes). */
function factBytesSection(facts: RowFactsJson): Record<string, Buffer> {
  let end = 0;
  const texts = facts.rows.map(([, , , text]) => Buffer.from(text, "utf8"));
  const head = Buffer.from(JSON.stringify({ labelChars: facts.labelChars, rows: facts.rows.map(([id, hash, title], row) => [id, hash, title, (end += texts[row]!.length)]) }), "utf8");
  const length = Buffer.alloc(4);
  length.writeUInt32LE(head.length, 0);
  return { [ROW_FACT_BYTES_SECTION]: Buffer.concat([length, head, ...texts]) };
}

/**
 * A store client that rewrites the row facts in every search part an embed worker writes: the sections
 * `rewrite` gives in their place (none: the part as workers wrote it before parts carried them).
 */
function rewritingRowFacts(client: S3Client, rewrite: (facts: RowFactsJson) => Record<string, Buffer>, onRewrite: () => void): S3Client {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === "send") {
        return (command: unknown, ...rest: unknown[]) => {
          if (command instanceof PutObjectCommand && command.input.Key?.endsWith(".segment.bin")) {
            const { header, sections } = decodeSections<{ rows: number }>(PART_MAGIC, command.input.Body as Uint8Array);
            const { [ROW_FACT_BYTES_SECTION]: facts, ...kept } = sections;
            const rows = decodeRowFactBytes(facts, header.rows)!;
            const json: RowFactsJson = { labelChars: LABEL_CHARS, rows: rows.map(({ id, hash, title, text }) => [id, hash, title, text.toString("utf8")]) };
            onRewrite();
            const Body = encodeSections(PART_MAGIC, header, { ...kept, ...rewrite(json) });
            return target.send(new PutObjectCommand({ ...command.input, Body }), ...(rest as []));
          }
          return target.send(command as PutObjectCommand, ...(rest as []));
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** A store client that writes every chunk file as `JSON.stringify(nodes)`, the layout splits used before nodes went one per line. */
function singleLineChunks(client: S3Client, onRewrite: () => void): S3Client {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === "send") {
        return (command: unknown, ...rest: unknown[]) => {
          if (command instanceof PutObjectCommand && command.input.Key?.endsWith(".input.json")) {
            onRewrite();
            const { nodes } = chunkRows(Buffer.from(command.input.Body as Uint8Array));
            return target.send(new PutObjectCommand({ ...command.input, Body: JSON.stringify(nodes) }), ...(rest as []));
          }
          return target.send(command as PutObjectCommand, ...(rest as []));
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** The client, telling `onSend` of every command (put, get, …) on an object whose key ends in `suffix`. */
function watchingKeys(client: S3Client, suffix: string, onSend: (command: unknown, key: string) => void): S3Client {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === "send") {
        return (command: unknown, ...rest: unknown[]) => {
          const key = (command as { input?: { Key?: string } }).input?.Key;
          if (key?.endsWith(suffix)) onSend(command, key);
          return target.send(command as PutObjectCommand, ...(rest as []));
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

interface EmbeddedAlongside {
  /** Embed deliveries made while the split ran. */
  deliveries: number;
  /** The most chunks counted as embedded while the upload was still `parsing`. */
  doneWhileParsing: number;
}

/**
 * Dependencies whose SQS client hands every embed message the split sends straight to the embed
 * consumer (`times` deliveries) instead of the queue, before the split goes on: embed workers running
 * beside the split, which took the message as soon as it was sent.
 */
function embeddingAlongside(real: PipelineDeps, seen: EmbeddedAlongside, times = 1): PipelineDeps {
  const deps: PipelineDeps = { ...real };
  const embed = embedChunkConsumer(() => deps).main;
  deps.sqs = announcingTo(real, async (record) => {
    for (let delivery = 0; delivery < times; delivery += 1) {
      await embed({ Records: [record] }, {} as Context);
      seen.deliveries += 1;
    }
    const { upload_id: uploadId } = JSON.parse(record.body) as { upload_id: string };
    const { rows } = await real.db.query("SELECT state, chunks_done FROM personal.vault_uploads WHERE id = $1", [uploadId]);
    if (rows[0]?.state === "parsing") seen.doneWhileParsing = Math.max(seen.doneWhileParsing, rows[0].chunks_done as number);
  });
  return deps;
}

/** `real.sqs`, except that each embed message sent goes to `take` (awaited) instead of the embed queue. */
function announcingTo(real: PipelineDeps, take: (record: SQSRecord) => unknown): SQSClient {
  let sent = 0;
  return new Proxy(real.sqs, {
    get(target, prop, receiver) {
      if (prop === "send") {
        return async (command: unknown) => {
          if (!(command instanceof SendMessageBatchCommand) || command.input.QueueUrl !== real.embedQueueUrl) return target.send(command as SendMessageBatchCommand);
          const entries = command.input.Entries ?? [];
          for (const entry of entries) {
            sent += 1;
            await take(toRecord({ MessageId: `alongside-${sent}`, ReceiptHandle: "alongside", Body: entry.MessageBody }, { queueArn: "arn:aws:sqs:us-east-1:000000000000:embed" }));
          }
          return { Successful: entries.map((entry) => ({ Id: entry.Id, MessageId: entry.Id, MD5OfMessageBody: "" })), Failed: [] };
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as SQSClient;
}

/** A store client that holds each chunk's vectors back until the upload they belong to has failed. */
function writingVectorsAfterFailure(client: S3Client, db: PipelineDeps["db"]): S3Client {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === "send") {
        return async (command: unknown) => {
          const key = command instanceof PutObjectCommand ? command.input.Key ?? "" : "";
          if (key.endsWith(".vectors.npy")) {
            const uploadId = key.split("/").find((_part, index, parts) => parts[index - 1] === "work");
            await expect.poll(async () => (await db.query("SELECT state FROM personal.vault_uploads WHERE id = $1", [uploadId])).rows[0]?.state, { timeout: 60_000 }).toBe("failed");
          }
          return target.send(command as PutObjectCommand);
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** A store client that fails a chunk's upload (removing its work files) just before the first read of a chunk's input. */
function failingBeforeChunkReads(real: PipelineDeps, onFail: () => void): S3Client {
  let failed = false;
  return new Proxy(real.store.client, {
    get(target, prop, receiver) {
      if (prop === "send") {
        return async (command: unknown) => {
          const key = command instanceof GetObjectCommand ? command.input.Key ?? "" : "";
          if (key.endsWith(".input.json") && !failed) {
            failed = true;
            onFail();
            const uploadId = key.split("/").find((_part, index, parts) => parts[index - 1] === "work");
            const upload = await findUpload(real.db, uploadId!);
            await failUpload(real, upload!, "failed while a worker held a chunk");
          }
          return target.send(command as GetObjectCommand);
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
