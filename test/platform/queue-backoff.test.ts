import { ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import type { Context, SQSRecord } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { getSqs } from "../../lib/queues/client";
import { sqsConsumer } from "../../lib/queues/consumer";
import { logger } from "../../lib/log";
import { ensureQueueWithDlq, type LocalQueue } from "../../local/emulator";
import { lambdaContext } from "../../local/lambda-context";
import { startTestStack } from "../support/stack";

/**
 * A failed record's next delivery, as a deployed consumer leaves it: the consumer itself shortens the
 * message's visibility (Lambda does not; the local poller would, so it is not used here).
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let queue: LocalQueue;
const QUEUE_VISIBILITY = 5400;
const logLevel = logger.getLevelName();

beforeAll(async () => {
  stack = await startTestStack({ consumers: false });
  queue = await ensureQueueWithDlq(stack.emulator.server, getSqs(), { name: "backoff-test", fifo: false, maxReceiveCount: 5 }, { visibilityTimeoutSeconds: QUEUE_VISIBILITY });
  // The failures below are the point of the test; their error lines are expected.
  logger.setLogLevel("SILENT");
});

afterAll(async () => {
  logger.setLogLevel(logLevel);
  await stack?.cleanup();
});

/** Sends one message and receives it, as Lambda's event source mapping would, into the record Lambda hands over. */
async function delivered(body: unknown, receiveCount: string): Promise<SQSRecord> {
  await getSqs().send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: JSON.stringify(body) }));
  const { Messages } = await getSqs().send(new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 1, WaitTimeSeconds: 1, MessageSystemAttributeNames: ["All"] }));
  const message = Messages![0]!;
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body!,
    attributes: { ApproximateReceiveCount: receiveCount, SentTimestamp: "0", SenderId: "test", ApproximateFirstReceiveTimestamp: "0" },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody!,
    eventSource: "aws:sqs",
    eventSourceARN: queue.arn,
    awsRegion: "us-east-1",
  };
}

async function secondsUntilVisible(messageId: string): Promise<number> {
  const inflight = (await stack.emulator.server.inspectQueue(queue.name))!.messages.inflight.find((entry) => entry.message.messageId === messageId)!;
  return (inflight.visibilityDeadline - Date.now()) / 1000;
}

const failing = sqsConsumer("backoff-test", z.object({ n: z.number() }), async () => {
  throw new Error("the embedding service is down");
});
const context: Context = lambdaContext("backoff-test", 60);

describe("a failed queue message", () => {
  it("comes back 30 s after its first failed delivery, not after the queue's 90-minute visibility timeout", async () => {
    const record = await delivered({ n: 1 }, "1");

    const response = await failing.main({ Records: [record] }, context);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(await secondsUntilVisible(record.messageId)).toBeGreaterThan(25);
    expect(await secondsUntilVisible(record.messageId)).toBeLessThanOrEqual(30);
  });

  it("waits longer with each delivery", async () => {
    const record = await delivered({ n: 2 }, "3");

    await failing.main({ Records: [record] }, context);

    expect(await secondsUntilVisible(record.messageId)).toBeGreaterThan(85);
    expect(await secondsUntilVisible(record.messageId)).toBeLessThanOrEqual(90);
  });

  it("that is unreadable is backed off the same way on its way to the dead-letter queue", async () => {
    const record = await delivered("not the schema", "2");

    const response = await failing.main({ Records: [record] }, context);

    expect(response.batchItemFailures).toHaveLength(1);
    expect(await secondsUntilVisible(record.messageId)).toBeGreaterThan(55);
  });
});
