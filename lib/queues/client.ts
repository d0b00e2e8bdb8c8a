import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { getConfig, type Config } from "../config";

export function createSqsClient(queues: Pick<Config["queues"], "endpoint" | "region">, credentials?: { accessKeyId: string; secretAccessKey: string }): SQSClient {
  return new SQSClient({
    region: queues.region,
    ...(queues.endpoint ? { endpoint: queues.endpoint } : {}),
    ...(credentials ? { credentials } : {}),
    requestHandler: { httpAgent: { keepAlive: true, maxSockets: 256 }, httpsAgent: { keepAlive: true, maxSockets: 256 } },
  });
}

let sqs: SQSClient | undefined;

/** The process-wide SQS client, made on first use. */
export function getSqs(): SQSClient {
  if (!sqs) {
    const config = getConfig();
    // Locally the emulator accepts any credentials; deployed functions use their role's.
    const credentials = config.local ? { accessKeyId: "local", secretAccessKey: "local" } : undefined;
    sqs = createSqsClient(config.queues, credentials);
  }
  return sqs;
}

export function closeSqs(): void {
  sqs?.destroy();
  sqs = undefined;
}

/** Sends one JSON message. FIFO queues need a group (serialisation key) and a deduplication id. */
export async function sendJson(
  client: SQSClient,
  queueUrl: string,
  body: unknown,
  fifo?: { groupId: string; deduplicationId: string },
): Promise<string | undefined> {
  const answer = await client.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify(body),
      ...(fifo ? { MessageGroupId: fifo.groupId, MessageDeduplicationId: fifo.deduplicationId } : {}),
    }),
  );
  return answer.MessageId;
}

/** SQS takes at most ten entries per SendMessageBatch. */
const BATCH_ENTRIES = 10;

/**
 * Sends JSON messages ten per `SendMessageBatch`, `concurrency` batches at a time, and starts no batch
 * after `stopStartingAt` (epoch ms), so a caller with a deadline can answer in time. Never throws for
 * a batch SQS refused: its keys come back as `unsent`, so the caller records exactly what went through.
 */
export async function sendJsonBatches<K extends string>(
  client: SQSClient,
  queueUrl: string,
  messages: Array<{ key: K; body: unknown }>,
  options: { concurrency?: number; stopStartingAt?: number } = {},
): Promise<{ sent: K[]; unsent: K[] }> {
  const batches: Array<typeof messages> = [];
  for (let at = 0; at < messages.length; at += BATCH_ENTRIES) batches.push(messages.slice(at, at + BATCH_ENTRIES));
  const sent: K[] = [];
  const unsent: K[] = [];
  let next = 0;
  const worker = async () => {
    for (let batch = batches[next++]; batch; batch = batches[next++]) {
      if (options.stopStartingAt !== undefined && Date.now() >= options.stopStartingAt) {
        unsent.push(...batch.map((message) => message.key));
        continue;
      }
      try {
        const answer = await client.send(
          new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch.map((message, index) => ({ Id: String(index), MessageBody: JSON.stringify(message.body) })) }),
        );
        const failed = new Set((answer.Failed ?? []).map((entry) => Number(entry.Id)));
        batch.forEach((message, index) => (failed.has(index) ? unsent : sent).push(message.key));
      } catch {
        unsent.push(...batch.map((message) => message.key));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker));
  return { sent, unsent };
}
