import {
  BatchProcessor,
  EventType,
  ParsingError,
  processPartialResponse,
  SqsFifoMessageGroupShortCircuitError,
  SqsFifoPartialProcessorAsync,
  SqsFifoShortCircuitError,
  type BasePartialBatchProcessor,
} from "@aws-lambda-powertools/batch";
import { parser } from "@aws-lambda-powertools/batch/parser";
import middy from "@middy/core";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { z } from "zod";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { getConfig } from "../config";
import { log, logger } from "../log";
import { getSqs } from "./client";
import { backOffFailedRecords } from "./retry-backoff";

type ParserConfig = ConstructorParameters<typeof BatchProcessor>[1];

/**
 * Powertools' FIFO processor takes no parser configuration in its constructor (2.35), though the
 * processing it inherits from `BatchProcessor` honours one: set it the way the base constructor would.
 */
class ParsingSqsFifoProcessor extends SqsFifoPartialProcessorAsync {
  constructor(config: ParserConfig) {
    super();
    this.parserConfig = config;
  }
}

export interface ConsumerOptions {
  /** FIFO queues stop at a message group's first failure, so later messages of the group keep their order. */
  fifo?: boolean;
  /** Hand the body to `schema` as the raw string instead of as parsed JSON (the dead-letter consumer, which must read anything). */
  rawBody?: boolean;
  /** The client that shortens failed records' visibility (default: the process-wide one). */
  sqs?: () => SQSClient;
}

/**
 * A queue consumer: one record at a time through Powertools' batch processor, which reports the failed
 * ones as `batchItemFailures` so only they come back. Each body is parsed with `schema` by the
 * processor's parser integration (JSON first, unless `rawBody`) before `handleMessage` sees it.
 *
 * A failed record comes back after 30 s × its deliveries so far (`retry-backoff.ts`), not after the
 * queue's whole visibility timeout.
 *
 * A body that is not JSON or not of the schema fails like any other error: it is retried and then
 * moved to the queue's dead-letter queue, where the dead-letter consumer marks its upload failed. It
 * is never dropped silently; an unreadable message is a bug (or an attack) someone must see. See
 * https://docs.powertools.aws.dev/lambda/typescript/latest/features/batch/#parser-integration and
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html.
 */
export function sqsConsumer<S extends z.ZodType>(
  name: string,
  schema: S,
  handleMessage: (message: z.infer<S>, record: SQSRecord, context: Context) => Promise<unknown>,
  options: ConsumerOptions = {},
) {
  const config: ParserConfig = { parser, innerSchema: schema, ...(options.rawBody ? {} : { transformer: "json" as const }) };
  const recordHandler = (record: SQSRecord & { body: z.infer<S> }, context: Context) => handleMessage(record.body, record, context);
  const main = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const processor = options.fifo ? new ParsingSqsFifoProcessor(config) : new BatchProcessor(EventType.SQS, config);
    const response = await processPartialResponse(event, recordHandler, processor, { context, throwOnFullBatchFailure: false });
    logFailures(name, processor);
    if (processor.failureMessages.length > 0) {
      await backOffFailedRecords((options.sqs ?? getSqs)(), processor.failureMessages as SQSRecord[], getConfig().queues.endpoint);
    }
    return response;
  };
  return { main, handler: middy(main).use(injectLambdaContext(logger, { resetKeys: true })) };
}

function logFailures(consumer: string, processor: BasePartialBatchProcessor): void {
  processor.failureMessages.forEach((record, index) => {
    const error = processor.errors[index];
    const { messageId, attributes } = record as SQSRecord;
    const fields = { consumer, messageId, receiveCount: attributes?.ApproximateReceiveCount };
    if (error instanceof SqsFifoShortCircuitError || error instanceof SqsFifoMessageGroupShortCircuitError) return;
    if (error instanceof ParsingError) {
      log.error("queue message unreadable; it will be retried, then dead-lettered", { ...fields, issue: error.message });
    } else {
      log.error("queue message failed; it will be retried", { ...fields, error });
    }
  });
}
