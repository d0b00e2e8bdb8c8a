import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import type { Context } from "aws-lambda";
import { expect } from "vitest";
import { setTimeout as sleep } from "node:timers/promises";
import { main as embedMain } from "../../functions/queues/embed-chunk";
import { main as mergeMain } from "../../functions/queues/merge-chunks";
import { main as splitMain } from "../../functions/queues/split-upload";
import type pg from "pg";
import { embedderIdentity } from "../../lib/embeddings";
import { ingestMessageSchema, toObjectCreated } from "../../lib/ingest/object-events";
import { pipelineDeps } from "../../lib/ingest/pipeline-deps";
import { splitUpload, type SplitOutcome } from "../../lib/ingest/split-upload";
import { getSqs } from "../../lib/queues/client";
import type { Store } from "../../lib/store/client";
import type { Stack } from "../../local/stack";
import { toRecord, type SqsHandler } from "../../local/queue-poller";

export type PipelineHandlers = Record<"ingest" | "embed" | "reduce", SqsHandler>;

/** The handlers Lambda runs, as exported by `functions/queues/*`. */
export const realHandlers: PipelineHandlers = { ingest: splitMain, embed: embedMain, reduce: mergeMain };

/**
 * Delivers the messages of the three pipeline queues to `handlers`, one at a time, as a stack with its
 * consumers off would never do by itself, until `settled` holds and the queues are empty. A message
 * its handler fails (thrown or reported in `batchItemFailures`) is sent again, as SQS would redeliver
 * it after its visibility timeout; with `twice`, every message is delivered two times; with `only`, the
 * other queues' messages are left where they are.
 */
export async function drivePipeline(
  stack: Stack,
  settled: () => Promise<boolean>,
  options: { handlers?: PipelineHandlers; twice?: boolean; only?: Array<keyof PipelineHandlers> } = {},
) {
  const handlers = options.handlers ?? realHandlers;
  const queues = stack.emulator.queues;
  let redeliveries = 0;
  for (let round = 0; round < 400; round += 1) {
    let delivered = 0;
    for (const name of options.only ?? (["ingest", "embed", "reduce"] as const)) {
      const queue = queues[name];
      const { Messages = [] } = await getSqs().send(new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageSystemAttributeNames: ["All"] }));
      delivered += Messages.length;
      for (const message of Messages) {
        for (let delivery = 0; delivery < (options.twice ? 2 : 1); delivery += 1) {
          const failed = await handlers[name]({ Records: [toRecord(message, { queueArn: queue.arn })] }, {} as Context)
            .then((response) => (response?.batchItemFailures.length ?? 0) > 0)
            .catch(() => true);
          if (!failed) continue;
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
        await getSqs().send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: message.ReceiptHandle! }));
      }
    }
    // Settled, and every redelivery (e.g. of a merge that crashed after its commit) has run too.
    if (delivered === 0 && (await settled())) return { redeliveries };
    if (delivered === 0) await sleep(50);
  }
  throw new Error("the pipeline did not settle");
}

/** Deletes every message waiting in the stack's pipeline queue `name` (a message lost, as a crash or a purge would lose it). */
export async function dropMessages(stack: Stack, name: "ingest" | "embed" | "reduce"): Promise<number> {
  const queue = stack.emulator.queues[name];
  let dropped = 0;
  for (;;) {
    const { Messages = [] } = await getSqs().send(new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (Messages.length === 0) return dropped;
    for (const message of Messages) await getSqs().send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: message.ReceiptHandle! }));
    dropped += Messages.length;
  }
}

/**
 * Takes the ingest queue's message about `uploadId` off the queue (a stack with its consumers off), so
 * a test can deliver it to the split itself, with the dependencies it chooses.
 */
export async function takeIngestEvent(stack: Stack, uploadId: string): Promise<unknown> {
  const queue = stack.emulator.queues.ingest;
  let found: unknown;
  await expect
    .poll(async () => {
      const { Messages = [] } = await getSqs().send(new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 1 }));
      for (const message of Messages) {
        if (message.Body!.includes(uploadId)) {
          await getSqs().send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: message.ReceiptHandle! }));
          found = JSON.parse(message.Body!);
        }
      }
      return found !== undefined;
    }, { timeout: 10_000 })
    .toBe(true);
  return found;
}

/** Delivers an ingest message to the split directly, with the store or pool a test substitutes. */
export async function splitEvent(body: unknown, overrides: { store?: Store; db?: pg.Pool; chunkSize?: number; largeChunksWhileLeft?: number } = {}): Promise<SplitOutcome[]> {
  const real = pipelineDeps();
  const deps = { ...real, embedder: embedderIdentity(real.embedder), ...overrides };
  const outcomes: SplitOutcome[] = [];
  for (const event of toObjectCreated(ingestMessageSchema.parse(body))) outcomes.push(await splitUpload(deps, event));
  return outcomes;
}
