import { setTimeout as sleep } from "node:timers/promises";
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { log } from "../lib/log";
import { lambdaContext } from "./lambda-context";

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface PollerOptions {
  sqs: SQSClient;
  functionName: string;
  queueUrl: string;
  queueArn: string;
  handler: SqsHandler;
  batchSize: number;
  /** At most this many invocations at once, like Lambda's SQS `MaximumConcurrency`. */
  maxConcurrency: number;
  timeoutSeconds: number;
  /** Seconds before a failed message is seen again. Lambda waits the visibility timeout; locally we do not. */
  retryDelaySeconds?: number;
  region?: string;
}

export interface PollerStats {
  invocations: number;
  inFlight: number;
  peakInFlight: number;
  succeeded: number;
  failed: number;
}

export interface QueuePoller {
  stats(): PollerStats;
  /** Resolves once no message is being handled and none is waiting (or `timeoutMs` passed). */
  stop(): Promise<void>;
}

/**
 * Invokes an SQS handler the way Lambda's event source mapping does: batches of up to `batchSize`
 * records, at most `maxConcurrency` invocations at once, `batchItemFailures` honoured (the rest of the
 * batch is deleted; a thrown error or an unknown item id fails the whole batch). Redrive to the DLQ
 * after `maxReceiveCount` is the queue's own (its RedrivePolicy), as in AWS.
 *
 * Two local conveniences: while a handler runs its messages' visibility is extended, and a failed
 * message becomes visible again after `retryDelaySeconds` instead of the full visibility timeout.
 */
export function startQueuePoller(options: PollerOptions): QueuePoller {
  const stats: PollerStats = { invocations: 0, inFlight: 0, peakInFlight: 0, succeeded: 0, failed: 0 };
  const abort = new AbortController();
  const running = new Set<Promise<void>>();
  let wake: (() => void) | undefined;

  const loop = async () => {
    while (!abort.signal.aborted) {
      const free = options.maxConcurrency - running.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      let messages: Message[] = [];
      try {
        const answer = await options.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: Math.min(10, free * options.batchSize),
            WaitTimeSeconds: 1,
            VisibilityTimeout: options.timeoutSeconds + 30,
            MessageSystemAttributeNames: ["All"],
            MessageAttributeNames: ["All"],
          }),
          { abortSignal: abort.signal },
        );
        messages = answer.Messages ?? [];
      } catch (error) {
        if (abort.signal.aborted) break;
        log.warn("queue poll failed", { queue: options.functionName, error: (error as Error).message });
        await sleep(500);
        continue;
      }
      for (let at = 0; at < messages.length; at += options.batchSize) {
        const invocation = invoke(options, messages.slice(at, at + options.batchSize), stats).finally(() => {
          running.delete(invocation);
          stats.inFlight = running.size;
          wake?.();
        });
        running.add(invocation);
        stats.inFlight = running.size;
        stats.peakInFlight = Math.max(stats.peakInFlight, running.size);
      }
    }
  };
  const looping = loop();

  return {
    stats: () => ({ ...stats }),
    async stop() {
      abort.abort();
      wake?.();
      await looping;
      await Promise.allSettled([...running]);
    },
  };
}

async function invoke(options: PollerOptions, messages: Message[], stats: PollerStats): Promise<void> {
  stats.invocations += 1;
  const event: SQSEvent = { Records: messages.map((message) => toRecord(message, options)) };
  const heartbeat = setInterval(
    () => void setVisibility(options, messages, options.timeoutSeconds + 30),
    Math.max(1000, (options.timeoutSeconds * 1000) / 2),
  );
  let failedIds: Set<string>;
  try {
    const response = await options.handler(event, lambdaContext(options.functionName, options.timeoutSeconds));
    failedIds = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    const known = new Set(messages.map((message) => message.MessageId));
    // Lambda fails the whole batch when a reported id is not one of its records.
    if ([...failedIds].some((id) => !known.has(id))) failedIds = known as Set<string>;
  } catch (error) {
    log.error("queue handler failed", { function: options.functionName, error });
    failedIds = new Set(messages.map((message) => message.MessageId!));
  } finally {
    clearInterval(heartbeat);
  }
  const done = messages.filter((message) => !failedIds.has(message.MessageId!));
  const failed = messages.filter((message) => failedIds.has(message.MessageId!));
  stats.succeeded += done.length;
  stats.failed += failed.length;
  // Never 0: fauxqs 2.4.1 with persistence loses a message whose visibility is set to 0 (its SQLite
  // update writes NULL into a NOT NULL receive count after the message has left the in-flight set).
  await Promise.all([deleteMessages(options, done), setVisibility(options, failed, Math.max(1, options.retryDelaySeconds ?? 1))]);
}

async function deleteMessages(options: PollerOptions, messages: Message[]): Promise<void> {
  if (messages.length === 0) return;
  await options.sqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl: options.queueUrl,
      Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })),
    }),
  ).catch((error) => log.warn("delete after success failed; the message will be delivered again", { error: (error as Error).message }));
}

async function setVisibility(options: PollerOptions, messages: Message[], seconds: number): Promise<void> {
  await Promise.all(
    messages.map((message) =>
      options.sqs
        .send(new ChangeMessageVisibilityCommand({ QueueUrl: options.queueUrl, ReceiptHandle: message.ReceiptHandle!, VisibilityTimeout: seconds }))
        .catch(() => undefined),
    ),
  );
}

/** The record shape Lambda hands to SQS consumers. */
export function toRecord(message: Message, options: Pick<PollerOptions, "queueArn" | "region">): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? "",
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? "1",
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? "local",
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...(attributes.MessageGroupId ? { MessageGroupId: attributes.MessageGroupId } : {}),
      ...(attributes.MessageDeduplicationId ? { MessageDeduplicationId: attributes.MessageDeduplicationId } : {}),
      ...(attributes.SequenceNumber ? { SequenceNumber: attributes.SequenceNumber } : {}),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        { dataType: value.DataType ?? "String", stringValue: value.StringValue, stringListValues: [], binaryListValues: [] },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN: options.queueArn,
    awsRegion: options.region ?? "us-east-1",
  };
}
