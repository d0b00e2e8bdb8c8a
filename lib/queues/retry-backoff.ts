import { ChangeMessageVisibilityCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";
import { log } from "../log";

/** Seconds between deliveries grow by this much with each delivery. */
export const RETRY_STEP_SECONDS = 30;
/** …up to this: a message that keeps failing comes back at least every 15 minutes until it is dead-lettered. */
export const MAX_RETRY_DELAY_SECONDS = 900;

/**
 * How long a message that failed on its `receiveCount`-th delivery stays invisible before the next one:
 * 30 s × the deliveries so far, at most 15 minutes. Without it, a failed message would come back only
 * when its visibility timeout ran out (6 × the consumer's timeout: 90 minutes on ingest and reduce),
 * and a failed merge would hold its vault's FIFO group for hours.
 */
export function retryDelaySeconds(receiveCount: number): number {
  const deliveries = Number.isFinite(receiveCount) ? Math.max(1, Math.floor(receiveCount)) : 1;
  return Math.min(MAX_RETRY_DELAY_SECONDS, RETRY_STEP_SECONDS * deliveries);
}

/**
 * A queue's URL from its ARN (`arn:aws:sqs:<region>:<account>:<name>`), the only address of the queue a
 * Lambda SQS record carries: `https://sqs.<region>.amazonaws.com/<account>/<name>`, or on `endpoint`
 * when one is set (the local emulator, which finds queues by the same path).
 */
export function queueUrlFromArn(arn: string, endpoint?: string): string {
  const [, , service, region, account, name] = arn.split(":");
  if (service !== "sqs" || !region || !account || !name) throw new Error(`not an SQS queue ARN: ${arn}`);
  return `${endpoint ?? `https://sqs.${region}.amazonaws.com`}/${account}/${name}`;
}

/**
 * Shortens the visibility of failed records to {@link retryDelaySeconds} with ChangeMessageVisibility
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html),
 * before Lambda is told they failed. If the change itself fails, the record still comes back, later.
 */
export async function backOffFailedRecords(sqs: SQSClient, records: SQSRecord[], endpoint?: string): Promise<void> {
  await Promise.all(
    records.map(async (record) => {
      const seconds = retryDelaySeconds(Number(record.attributes.ApproximateReceiveCount));
      try {
        await sqs.send(
          new ChangeMessageVisibilityCommand({ QueueUrl: queueUrlFromArn(record.eventSourceARN, endpoint), ReceiptHandle: record.receiptHandle, VisibilityTimeout: seconds }),
        );
      } catch (error) {
        log.warn("could not shorten a failed message's visibility; it returns after the queue's visibility timeout", {
          messageId: record.messageId,
          error: (error as Error).message,
        });
      }
    }),
  );
}
