import { DEAD_LETTER_CONSUMER, queues, visibilityTimeoutSeconds, type QueueDefinition, type QueueName } from "../functions/manifest";

/** SQS's longest retention, 14 days, for dead-letter queues: two weeks to look at what failed and redrive it. */
export const DEAD_LETTER_RETENTION_SECONDS = 1_209_600;
/** SQS's default retention (4 days), stated so the dead-letter queues' longer one is visibly longer. */
export const QUEUE_RETENTION_SECONDS = 345_600;

export interface QueueSettings {
  visibilityTimeoutSeconds: number;
  retentionSeconds: number;
  deadLetter: { visibilityTimeoutSeconds: number; retentionSeconds: number };
}

/**
 * What SQS is told about a queue of the manifest and its dead-letter queue. A dead-letter queue keeps
 * messages longer than its source: a standard queue's message keeps its original enqueue time when it
 * is moved, so an equal retention could drop it soon after it arrives
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html).
 */
export function queueSettings(definition: QueueDefinition): QueueSettings {
  return {
    visibilityTimeoutSeconds: visibilityTimeoutSeconds(definition),
    retentionSeconds: QUEUE_RETENTION_SECONDS,
    deadLetter: {
      visibilityTimeoutSeconds: visibilityTimeoutSeconds(definition.deadLetterHandler ? { consumer: DEAD_LETTER_CONSUMER } : {}),
      retentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
    },
  };
}

/** Every queue of the manifest, in a stable order. */
export function queueEntries(): [QueueName, QueueDefinition][] {
  return Object.entries(queues) as [QueueName, QueueDefinition][];
}
