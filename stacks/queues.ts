import { queues as definitions, visibilityTimeoutSeconds, type QueueDefinition, type QueueName } from "../functions/manifest";
import type { Settings } from "./secrets";

function componentName(definition: QueueDefinition): string {
  return definition.name.charAt(0).toUpperCase() + definition.name.slice(1);
}

/**
 * Every queue of `functions/manifest.ts`, each with its dead-letter queue (redrive after the manifest's
 * `maxReceiveCount`), then their consumers: partial batch responses on (SST ignores returned
 * `batchItemFailures` otherwise) and Lambda's SQS maximum concurrency from the manifest.
 */
export function createQueues(settings: Settings) {
  const created = {} as Record<QueueName, sst.aws.Queue>;
  const deadLetters = {} as Record<QueueName, sst.aws.Queue>;
  for (const [key, definition] of Object.entries(definitions) as [QueueName, QueueDefinition][]) {
    const name = componentName(definition);
    const dlq = new sst.aws.Queue(`${name}Dlq`, { fifo: definition.fifo });
    deadLetters[key] = dlq;
    created[key] = new sst.aws.Queue(name, {
      fifo: definition.fifo,
      visibilityTimeout: `${visibilityTimeoutSeconds(definition)} seconds`,
      dlq: { queue: dlq.arn, retry: definition.maxReceiveCount },
    });
  }

  const environment = {
    ...settings.environment,
    INGEST_QUEUE_URL: created.ingest.url,
    EMBED_QUEUE_URL: created.embed.url,
    REDUCE_QUEUE_URL: created.reduce.url,
  };

  for (const [key, definition] of Object.entries(definitions) as [QueueName, QueueDefinition][]) {
    if (definition.deadLetterHandler) {
      deadLetters[key].subscribe(
        { handler: definition.deadLetterHandler, timeout: "60 seconds", environment, link: Object.values(created) },
        { batch: { size: 1, partialResponses: true } },
      );
    }
    const consumer = definition.consumer;
    if (!consumer) continue;
    created[key].subscribe(
      {
        handler: consumer.handler,
        timeout: `${consumer.timeoutSeconds} seconds`,
        memory: `${consumer.memoryMb} MB`,
        ...(consumer.nativePackages ? { nodejs: { install: consumer.nativePackages } } : {}),
        environment,
        link: Object.values(created),
      },
      {
        batch: { size: consumer.batchSize, partialResponses: true },
        transform: {
          eventSourceMapping: (args) => {
            args.scalingConfig = { maximumConcurrency: Math.max(2, consumer.maxConcurrency) };
          },
        },
      },
    );
  }
  return { queues: created, environment };
}

export type Queues = ReturnType<typeof createQueues>;
