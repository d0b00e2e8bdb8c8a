import type http from "node:http";
import net from "node:net";
import path from "node:path";
import { ChangeMessageVisibilityCommand, SetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { startFauxqs, type FauxqsServer } from "fauxqs";
import { queues, type QueueDefinition, type QueueName } from "../functions/manifest";
import { createSqsClient } from "../lib/queues/client";
import { patchEmulatorStore } from "./emulator-store";
import { queueSettings } from "../stacks/queue-settings";

export interface LocalQueue {
  name: string;
  url: string;
  arn: string;
  dlqUrl: string;
  dlqArn: string;
  definition: QueueDefinition;
}

export interface LocalEmulator {
  endpoint: string;
  port: number;
  server: FauxqsServer;
  /** fauxqs's own HTTP server: its `request` listener is what the store's public port hands requests to (store-cors-relay.ts). */
  httpServer: http.Server;
  queues: Record<QueueName, LocalQueue>;
  stop(): Promise<void>;
}

/** What {@link ensureQueueWithDlq} needs of the emulator: the server itself, or its control over IPC (emulator-process.ts). */
export interface QueueAdmin {
  readonly port: number;
  inspectQueue(name: string): ReturnType<FauxqsServer["inspectQueue"]> | Promise<ReturnType<FauxqsServer["inspectQueue"]>>;
  createQueue(name: string, options?: { attributes?: Record<string, string> }): ReturnType<FauxqsServer["createQueue"]> | Promise<ReturnType<FauxqsServer["createQueue"]>>;
}

/** Local queue names: `cogzy-ingest`, `cogzy-reduce.fifo`, and `…-dlq` for their dead-letter queues. */
export function localQueueName(definition: QueueDefinition, suffix = ""): string {
  return `cogzy-${definition.name}${suffix}${definition.fifo ? ".fifo" : ""}`;
}

/**
 * S3 + SQS on one port (`fauxqs`), persisted under `dataDir`: queues and messages in SQLite, objects as
 * plain files (large exports and vector files would bloat SQLite). Creates the vault bucket and every
 * queue of the manifest with its dead-letter queue, but only those that do not exist yet: re-creating
 * a queue replaces its row, and the emulator's foreign key then deletes every message it held. A
 * queue that exists gets the manifest's attributes set on it instead.
 *
 * The store's storage is patched first (`emulator-store.ts`) so that ranged GETs, UploadPartCopy and
 * multipart completion cost what they cost on S3 or B2, not a read of whole objects into memory.
 *
 * Messages left in flight by an earlier run are made visible again at once: the data folder's lock
 * guarantees that the process which received them is gone, so nobody will delete them, and waiting
 * out their visibility timeout (up to 15 minutes) would only hold the uploads they carry.
 */
export async function startEmulator(options: { dataDir: string; port: number; bucket: string; messageSpies?: boolean }): Promise<LocalEmulator> {
  // Ranged reads, server-side part copies and large multipart uploads as S3 does them (emulator-store.ts).
  await patchEmulatorStore();
  const server = await onLoopbackOnly(() =>
    startFauxqs({
      port: options.port,
      logger: false,
      dataDir: path.join(options.dataDir, "queues"),
      s3StorageDir: path.join(options.dataDir, "objects"),
      messageSpies: options.messageSpies ?? true,
    }),
  );
  const endpoint = `http://127.0.0.1:${server.port}`;
  const httpServer = startedServers.find((started) => (started.address() as net.AddressInfo | null)?.port === server.port) as http.Server | undefined;
  if (!httpServer) throw new Error(`the emulator's HTTP server on port ${server.port} was not found`);
  const sqs = createSqsClient({ endpoint, region: "us-east-1" }, { accessKeyId: "local", secretAccessKey: "local" });
  try {
    server.createBucket(options.bucket);
    const created = {} as Record<QueueName, LocalQueue>;
    for (const [key, definition] of Object.entries(queues) as [QueueName, QueueDefinition][]) {
      created[key] = await ensureQueueWithDlq(server, sqs, definition);
      await releaseInFlight(server, sqs, created[key].name);
      await releaseInFlight(server, sqs, localQueueName(definition, "-dlq"));
    }
    return {
      endpoint,
      port: server.port,
      server,
      httpServer,
      queues: created,
      stop: async () => {
        startedServers.splice(startedServers.indexOf(httpServer), 1);
        await server.stop();
      },
    };
  } finally {
    sqs.destroy();
  }
}

/** A queue and its dead-letter queue, wired with a redrive policy as SST/AWS would; created only if missing. */
export async function ensureQueueWithDlq(
  server: QueueAdmin,
  sqs: SQSClient,
  definition: QueueDefinition,
  overrides: { visibilityTimeoutSeconds?: number } = {},
): Promise<LocalQueue> {
  const fifoAttributes: Record<string, string> = definition.fifo ? { FifoQueue: "true", ContentBasedDeduplication: "false" } : {};
  // The same attributes as the stack's queues (stacks/queue-settings.ts).
  const settings = queueSettings(definition);
  const dlq = await ensureQueue(server, sqs, localQueueName(definition, "-dlq"), {
    ...fifoAttributes,
    VisibilityTimeout: String(settings.deadLetter.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(settings.deadLetter.retentionSeconds),
  });
  const queue = await ensureQueue(server, sqs, localQueueName(definition), {
    ...fifoAttributes,
    VisibilityTimeout: String(overrides.visibilityTimeoutSeconds ?? settings.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(settings.retentionSeconds),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.queueArn, maxReceiveCount: String(definition.maxReceiveCount) }),
  });
  return { name: queue.queueName, url: queue.queueUrl, arn: queue.queueArn, dlqUrl: dlq.queueUrl, dlqArn: dlq.queueArn, definition };
}

async function ensureQueue(server: QueueAdmin, sqs: SQSClient, name: string, attributes: Record<string, string>) {
  const existing = await server.inspectQueue(name);
  if (!existing) return server.createQueue(name, { attributes });
  const url = currentUrl(server, existing.url);
  const { FifoQueue: _fixedAtCreation, ...settable } = attributes;
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: settable }));
  return { queueUrl: url, queueArn: existing.arn, queueName: existing.name };
}

/** A stored queue URL names the port of the run that created it; the emulator finds queues by name, whatever the port. */
function currentUrl(server: QueueAdmin, storedUrl: string): string {
  const url = new URL(storedUrl);
  url.port = String(server.port);
  return url.href;
}

async function releaseInFlight(server: FauxqsServer, sqs: SQSClient, name: string): Promise<void> {
  const queue = server.inspectQueue(name);
  for (const { receiptHandle } of queue?.messages.inflight ?? []) {
    // 1 s, not 0: see the note on visibility 0 in local/queue-poller.ts.
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: currentUrl(server, queue!.url), ReceiptHandle: receiptHandle, VisibilityTimeout: 1 }));
  }
}

let loopbackStarts = 0;
const listen = net.Server.prototype.listen;
/** The servers fauxqs started (found again by port: several emulators may start at once in one process). */
const startedServers: net.Server[] = [];

/**
 * fauxqs 2.4.1 always listens on 0.0.0.0 (its `host` option only names queue URLs), which would put an
 * unauthenticated S3 + SQS server on the network. While it starts, a listen on every interface is
 * turned into a listen on 127.0.0.1. The server is kept: its request listener serves the store's public
 * port in the same process.
 */
async function onLoopbackOnly<T>(start: () => Promise<T>): Promise<T> {
  if (loopbackStarts++ === 0) {
    net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
      const first = args[0] as { host?: string } | undefined;
      if (first && typeof first === "object" && (first.host === "0.0.0.0" || first.host === "::")) {
        args[0] = { ...first, host: "127.0.0.1" };
        startedServers.push(this);
      }
      return (listen as (...a: unknown[]) => net.Server).apply(this, args);
    } as typeof listen;
  }
  try {
    return await start();
  } finally {
    if (--loopbackStarts === 0) net.Server.prototype.listen = listen;
  }
}
