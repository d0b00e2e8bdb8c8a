import { ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { getSqs } from "../../lib/queues/client";
import { ensureQueueWithDlq } from "../../local/emulator";
import { startQueuePoller } from "../../local/queue-poller";
import { startTestStack } from "../support/stack";

let stack: Awaited<ReturnType<typeof startTestStack>>;

beforeAll(async () => {
  stack = await startTestStack({ consumers: false });
});

afterAll(async () => {
  await stack?.cleanup();
});

let queueCounter = 0;
function testQueue(maxReceiveCount = 3) {
  queueCounter += 1;
  return ensureQueueWithDlq(stack.emulator.server, getSqs(), { name: `runtime-test-${queueCounter}`, fifo: false, maxReceiveCount }, { visibilityTimeoutSeconds: 30 });
}

async function send(queueUrl: string, bodies: string[]) {
  for (const body of bodies) await getSqs().send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 15_000) {
  await vi.waitFor(async () => expect(await condition()).toBe(true), { timeout: timeoutMs, interval: 50 });
}

describe("local queue runtime", () => {
  it("delivers SQS event batches and redelivers only the items a handler reports as failed", async () => {
    const queue = await testQueue();
    const deliveries = new Map<string, number>();
    const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
      const failures = [];
      for (const record of event.Records) {
        const count = (deliveries.get(record.body) ?? 0) + 1;
        deliveries.set(record.body, count);
        expect(record.eventSource).toBe("aws:sqs");
        expect(record.eventSourceARN).toBe(queue.arn);
        expect(Number(record.attributes.ApproximateReceiveCount)).toBe(count);
        if (record.body === "flaky" && count === 1) failures.push({ itemIdentifier: record.messageId });
      }
      return { batchItemFailures: failures };
    };
    const poller = startQueuePoller({ sqs: getSqs(), functionName: "test", queueUrl: queue.url, queueArn: queue.arn, handler, batchSize: 5, maxConcurrency: 2, timeoutSeconds: 5, retryDelaySeconds: 1 });

    await send(queue.url, ["a", "b", "flaky", "c"]);
    await waitFor(() => deliveries.get("flaky") === 2 && deliveries.size === 4);
    // Every delivery has been settled (deleted or failed) before the poller stops.
    await waitFor(() => poller.stats().succeeded === 4 && poller.stats().inFlight === 0);
    await poller.stop();

    expect(Object.fromEntries(deliveries)).toEqual({ a: 1, b: 1, c: 1, flaky: 2 });
    expect(poller.stats()).toMatchObject({ succeeded: 4, failed: 1 });
  });

  it("moves a message that keeps failing to the dead-letter queue after maxReceiveCount deliveries", async () => {
    const queue = await testQueue(3);
    let attempts = 0;
    const handler = async (event: SQSEvent) => {
      attempts += event.Records.length;
      throw new Error("poisoned");
    };
    const poller = startQueuePoller({ sqs: getSqs(), functionName: "test", queueUrl: queue.url, queueArn: queue.arn, handler, batchSize: 1, maxConcurrency: 1, timeoutSeconds: 5, retryDelaySeconds: 1 });

    await send(queue.url, ["poison"]);
    let dead: string[] = [];
    await waitFor(async () => {
      const answer = await getSqs().send(new ReceiveMessageCommand({ QueueUrl: queue.dlqUrl, MaxNumberOfMessages: 1 }));
      dead = (answer.Messages ?? []).map((message) => message.Body!);
      return dead.length > 0;
    });
    await poller.stop();

    expect(dead).toEqual(["poison"]);
    expect(attempts).toBe(3);
  });

  it("fails the whole batch when a handler reports an id that is not in it", async () => {
    const queue = await testQueue();
    let deliveries = 0;
    const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
      deliveries += event.Records.length;
      return deliveries === 1 ? { batchItemFailures: [{ itemIdentifier: "not-a-message-id" }] } : { batchItemFailures: [] };
    };
    const poller = startQueuePoller({ sqs: getSqs(), functionName: "test", queueUrl: queue.url, queueArn: queue.arn, handler, batchSize: 1, maxConcurrency: 1, timeoutSeconds: 5, retryDelaySeconds: 1 });

    await send(queue.url, ["only"]);
    await waitFor(() => deliveries === 2);
    await poller.stop();

    expect(poller.stats()).toMatchObject({ failed: 1, succeeded: 1 });
  });

  it("never runs more invocations at once than the queue's maximum concurrency, and reaches it", async () => {
    const queue = await testQueue();
    let running = 0;
    let peak = 0;
    let done = 0;
    const handler = async () => {
      running += 1;
      peak = Math.max(peak, running);
      // Each invocation holds its slot until the poller has filled every slot it may (or the queue is
      // down to what is in flight), so the peak is reached however slow the machine is.
      await waitFor(() => running >= 7 || done + running >= 40);
      running -= 1;
      done += 1;
    };
    // All 40 wait before the poller starts, so a slow machine sending them cannot keep the peak below 7.
    await send(queue.url, Array.from({ length: 40 }, (_, index) => `m${index}`));
    const poller = startQueuePoller({ sqs: getSqs(), functionName: "test", queueUrl: queue.url, queueArn: queue.arn, handler, batchSize: 1, maxConcurrency: 7, timeoutSeconds: 5 });
    await waitFor(() => done === 40);
    await poller.stop();

    expect(peak).toBe(7);
    expect(poller.stats().peakInFlight).toBe(7);
  });
});
