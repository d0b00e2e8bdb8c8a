import path from "node:path";
import { startFauxqs, type FauxqsServer } from "fauxqs";
import { queues, visibilityTimeoutSeconds, type QueueDefinition, type QueueName } from "../functions/manifest";

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
  queues: Record<QueueName, LocalQueue>;
  stop(): Promise<void>;
}

/** Local queue names: `cogzy-ingest`, `cogzy-reduce.fifo`, and `…-dlq` for their dead-letter queues. */
export function localQueueName(definition: QueueDefinition, suffix = ""): string {
  return `cogzy-${definition.name}${suffix}${definition.fifo ? ".fifo" : ""}`;
}

/**
 * S3 + SQS on one port (`fauxqs`), persisted under `dataDir`: queues and messages in SQLite, objects as
 * plain files (large exports and vector files would bloat SQLite). Creates the vault bucket and every
 * queue of the manifest with its dead-letter queue; both are idempotent across restarts.
 */
export async function startEmulator(options: { dataDir: string; port: number; bucket: string; messageSpies?: boolean }): Promise<LocalEmulator> {
  const server = await startFauxqs({
    port: options.port,
    logger: false,
    dataDir: path.join(options.dataDir, "queues"),
    s3StorageDir: path.join(options.dataDir, "objects"),
    messageSpies: options.messageSpies ?? true,
  });
  server.createBucket(options.bucket);
  const created = {} as Record<QueueName, LocalQueue>;
  for (const [key, definition] of Object.entries(queues) as [QueueName, QueueDefinition][]) {
    created[key] = createQueueWithDlq(server, definition);
  }
  return {
    endpoint: `http://127.0.0.1:${server.port}`,
    port: server.port,
    server,
    queues: created,
    stop: () => server.stop(),
  };
}

/** Creates a queue and its dead-letter queue, wired with a redrive policy as SST/AWS would. */
export function createQueueWithDlq(server: FauxqsServer, definition: QueueDefinition, overrides: { visibilityTimeoutSeconds?: number } = {}): LocalQueue {
  const fifoAttributes: Record<string, string> = definition.fifo ? { FifoQueue: "true", ContentBasedDeduplication: "false" } : {};
  const dlq = server.createQueue(localQueueName(definition, "-dlq"), {
    attributes: { ...fifoAttributes, MessageRetentionPeriod: "1209600" },
  });
  const queue = server.createQueue(localQueueName(definition), {
    attributes: {
      ...fifoAttributes,
      VisibilityTimeout: String(overrides.visibilityTimeoutSeconds ?? visibilityTimeoutSeconds(definition)),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.queueArn, maxReceiveCount: String(definition.maxReceiveCount) }),
    },
  });
  return { name: queue.queueName, url: queue.queueUrl, arn: queue.queueArn, dlqUrl: dlq.queueUrl, dlqArn: dlq.queueArn, definition };
}
