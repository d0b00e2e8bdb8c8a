import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { getConfig } from "../../lib/config";
import { getPool } from "../../lib/db/pool";
import { embedChunk } from "../../lib/ingest/embed-chunk";
import { createLocalEmbedder, type Embedder } from "../../lib/embeddings";
import { getEmbedder, getEmbedderIdentity } from "../../lib/ingest/embedder";
import { mergeUpload } from "../../lib/ingest/merge-upload";
import { embedChunkMessageSchema, mergeUploadMessageSchema } from "../../lib/ingest/messages";
import { ingestMessageSchema, toObjectCreated } from "../../lib/ingest/object-events";
import { splitUpload } from "../../lib/ingest/split-upload";
import { getSqs } from "../../lib/queues/client";
import { getStore, type Store } from "../../lib/store/client";
import { uniqueEmail } from "../support/api";
import { chatgptExport, conversations } from "../support/exports";
import { crashingPool, crashingSqs, crashingStore, type Fault } from "../support/faults";
import { expectConsistent, readVault, uploadBytes } from "../support/ingest";
import { useTestStack } from "../support/stack";

/**
 * The pipeline driven by hand, message by message, with a crash injected at one exact point of one
 * stage: the crashed message is delivered again (as SQS would after its visibility timeout) and the
 * final vault must equal a clean run's. Consumers are off, so nothing else touches the queues.
 */
const ctx = useTestStack({ consumers: false });

// 1,200 exchanges: more than one claim batch (1,000) and five embed chunks (256).
const exportFile = chatgptExport(conversations("crash", 400, 3));

interface Wiring {
  db: pg.Pool;
  store: Store;
  sqs: SQSClient;
}

function handlers(wiring: Wiring, embedder: Embedder = getEmbedder()) {
  const config = getConfig();
  return {
    ingest: async (body: unknown) => {
      for (const event of toObjectCreated(ingestMessageSchema.parse(body))) {
        await splitUpload({ ...wiring, embedQueueUrl: config.queues.embedUrl, embedder: getEmbedderIdentity(), chunkSize: 256 }, event);
      }
    },
    embed: (body: unknown) => embedChunk({ ...wiring, reduceQueueUrl: config.queues.reduceUrl, embedder }, embedChunkMessageSchema.parse(body)),
    reduce: (body: unknown) => mergeUpload(wiring, mergeUploadMessageSchema.parse(body)),
  };
}

/**
 * Delivers every message of the three queues to its handler until the upload has settled and the
 * queues are empty. A message whose handler throws is delivered again; with `twice`, every message is
 * delivered two times.
 */
async function drive(uploadId: string, wiring: Wiring, options: DriveOptions = {}) {
  const run = handlers(wiring, options.embedWith);
  const queues = ctx.stack.emulator.queues;
  let redeliveries = 0;
  for (let round = 0; round < 400; round += 1) {
    let delivered = 0;
    for (const [name, queue] of [["ingest", queues.ingest], ["embed", queues.embed], ["reduce", queues.reduce]] as const) {
      const { Messages = [] } = await getSqs().send(new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageSystemAttributeNames: ["All"] }));
      delivered += Messages.length;
      for (const message of Messages) {
        const body = JSON.parse(message.Body!);
        for (let delivery = 0; delivery < (options.twice ? 2 : 1); delivery += 1) {
          try {
            await run[name](body);
          } catch {
            redeliveries += 1;
            await getSqs().send(
              new SendMessageCommand({
                QueueUrl: queue.url,
                MessageBody: message.Body!,
                ...(queue.definition.fifo ? { MessageGroupId: message.Attributes?.MessageGroupId ?? "g", MessageDeduplicationId: `${message.MessageId}-again-${redeliveries}` } : {}),
              }),
            );
            break;
          }
        }
        await getSqs().send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: message.ReceiptHandle! }));
      }
    }
    const { rows } = await ctx.db.query("SELECT status FROM personal.vault_uploads WHERE id = $1", [uploadId]);
    const settled = rows[0].status === "complete" || rows[0].status === "failed";
    // Settled, and every redelivery (e.g. of a merge that crashed after its commit) has run too.
    if (settled && delivered === 0) return { status: rows[0].status as string, redeliveries };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the pipeline did not settle");
}

interface DriveOptions {
  /** Deliver every message twice. */
  twice?: boolean;
  /** The embedder the embed workers use (default: the configured one, as the split does). */
  embedWith?: Embedder;
}

async function ingestWith(wiring: (real: Wiring) => Wiring, options: DriveOptions = {}) {
  const { body } = await ctx.api.signUp(uniqueEmail("crash"));
  const uploadId = await uploadBytes(ctx.api, body.token, "conversations.json", exportFile);
  // The B2 bridge delivers the event to the ingest queue; give it a moment.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const outcome = await drive(uploadId, wiring({ db: getPool(), store: getStore(), sqs: getSqs() }), options);
  const state = await readVault(ctx.db, body.user_id);
  const upload = (await ctx.db.query("SELECT * FROM personal.vault_uploads WHERE id = $1", [uploadId])).rows[0];
  const leftovers = (await ctx.db.query("SELECT count(*)::int AS n FROM personal.vault_exchanges WHERE upload_id = $1 AND state = 'claimed'", [uploadId])).rows[0].n;
  const work = await getStore().client.send(new ListObjectsV2Command({ Bucket: getStore().bucket, Prefix: `${state.vault.prefix}/work/` }));
  return { ...outcome, state, upload, leftovers, workFiles: work.KeyCount ?? 0, hashes: state.nodes.map((node) => node.hash).sort() };
}

let clean: Awaited<ReturnType<typeof ingestWith>>;

describe("crashes and duplicate deliveries", () => {
  beforeAll(async () => {
    clean = await ingestWith((real) => real);
  });

  it("gives a clean run of 1,200 exchanges in 5 chunks to compare against", () => {
    expect(clean.status).toBe("complete");
    expect(clean.redeliveries).toBe(0);
    expect(clean.upload).toMatchObject({ nodes_created: 1200, chunks_total: 5, chunks_done: 5 });
    expectConsistent(clean.state);
  });

  const scenarios: Array<[string, (real: Wiring) => Wiring & { fault?: Fault }]> = [
    ["the split crashes between claiming two batches of exchanges", (real) => {
      const { pool, fault } = crashingPool(real.db, /INSERT INTO personal\.vault_exchanges/, { skip: 1 });
      return { ...real, db: pool, fault };
    }],
    ["the split crashes after recording its chunks, before enqueueing them", (real) => {
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

  it("ends with the same vault as a clean run when every message is delivered twice", async () => {
    const result = await ingestWith((real) => real, { twice: true });

    expect(result.status).toBe("complete");
    expectConsistent(result.state);
    expect(result.hashes).toEqual(clean.hashes);
    expect(result.upload).toMatchObject({ nodes_created: 1200, chunks_done: 5 });
    expect(result.state.vault.current_version).toBe(1);
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
