import { DEAD_LETTER_CONSUMER, type ConsumerDefinition, type QueueDefinition, type QueueName } from "../functions/manifest";
import { functionArgs, type FunctionContext } from "./functions";
import { queueEntries, queueSettings } from "./queue-settings";

function componentName(definition: QueueDefinition): string {
  return definition.name.charAt(0).toUpperCase() + definition.name.slice(1);
}

/**
 * Every queue of `functions/manifest.ts` with its dead-letter queue (redrive after the manifest's
 * `maxReceiveCount`), their visibility timeouts and retention from `queueSettings`.
 */
export function createQueues() {
  const queues = {} as Record<QueueName, sst.aws.Queue>;
  const deadLetters = {} as Record<QueueName, sst.aws.Queue>;
  for (const [key, definition] of queueEntries()) {
    const name = componentName(definition);
    const settings = queueSettings(definition);
    deadLetters[key] = new sst.aws.Queue(`${name}Dlq`, {
      fifo: definition.fifo,
      visibilityTimeout: `${settings.deadLetter.visibilityTimeoutSeconds} seconds`,
      transform: { queue: (args) => void (args.messageRetentionSeconds = settings.deadLetter.retentionSeconds) },
    });
    queues[key] = new sst.aws.Queue(name, {
      fifo: definition.fifo,
      visibilityTimeout: `${settings.visibilityTimeoutSeconds} seconds`,
      dlq: { queue: deadLetters[key].arn, retry: definition.maxReceiveCount },
      transform: { queue: (args) => void (args.messageRetentionSeconds = settings.retentionSeconds) },
    });
  }
  const environment = { INGEST_QUEUE_URL: queues.ingest.url, EMBED_QUEUE_URL: queues.embed.url, REDUCE_QUEUE_URL: queues.reduce.url };
  return { queues, deadLetters, environment };
}

export type Queues = ReturnType<typeof createQueues>;

/**
 * The consumers: partial batch responses on (SST ignores returned `batchItemFailures` otherwise) and
 * Lambda's SQS maximum concurrency from the manifest (at least 2, Lambda's minimum). Every dead-letter
 * queue has the dead-letter consumer.
 */
export function subscribeConsumers(queues: Queues, context: FunctionContext) {
  const subscribe = (queue: sst.aws.Queue, consumer: ConsumerDefinition) =>
    queue.subscribe(functionArgs(context, consumer), {
      batch: { size: consumer.batchSize, partialResponses: true },
      transform: { eventSourceMapping: (args) => void (args.scalingConfig = { maximumConcurrency: Math.max(2, consumer.maxConcurrency) }) },
    });
  const consumers: { name: string; subscriber: ReturnType<typeof subscribe> }[] = [];
  for (const [key, definition] of queueEntries()) {
    const name = componentName(definition);
    if (definition.deadLetterHandler) {
      consumers.push({ name: `${name}Dlq`, subscriber: subscribe(queues.deadLetters[key], { ...DEAD_LETTER_CONSUMER, handler: definition.deadLetterHandler }) });
    }
    if (definition.consumer) consumers.push({ name, subscriber: subscribe(queues.queues[key], definition.consumer) });
  }
  return consumers;
}
