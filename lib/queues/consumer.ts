import { BatchProcessor, EventType, processPartialResponse, SqsFifoPartialProcessorAsync } from "@aws-lambda-powertools/batch";
import middy from "@middy/core";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import type { z } from "zod";
import { log } from "../log";

/**
 * A queue consumer: one record at a time through Powertools' batch processor, which reports the failed
 * ones as `batchItemFailures` (so only they come back). Bodies are parsed with `schema` at the edge; a
 * body that is not JSON or not of the schema can never succeed, so it is logged and dropped rather
 * than retried into the dead-letter queue. FIFO queues stop at a group's first failure, keeping order.
 */
export function sqsConsumer<S extends z.ZodType>(
  name: string,
  schema: S,
  handleMessage: (message: z.infer<S>, record: SQSRecord, context: Context) => Promise<unknown>,
  options: { fifo?: boolean } = {},
) {
  const recordHandler = async (record: SQSRecord, context: Context) => {
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch {
      log.error("queue message is not JSON; dropped", { consumer: name, messageId: record.messageId });
      return;
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      log.error("queue message of unknown shape; dropped", { consumer: name, messageId: record.messageId, issue: parsed.error.issues[0]?.message });
      return;
    }
    try {
      await handleMessage(parsed.data, record, context);
    } catch (error) {
      log.error("queue message failed; it will be retried", {
        consumer: name,
        messageId: record.messageId,
        receiveCount: record.attributes.ApproximateReceiveCount,
        error,
      });
      throw error;
    }
  };
  const main = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const processor = options.fifo ? new SqsFifoPartialProcessorAsync() : new BatchProcessor(EventType.SQS);
    return processPartialResponse(event, (record: SQSRecord) => recordHandler(record, context), processor, { context, throwOnFullBatchFailure: false });
  };
  return { main, handler: middy(main) };
}
