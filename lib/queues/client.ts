import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
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
