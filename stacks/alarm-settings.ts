import type { QueueDefinition } from "../functions/manifest";

/** CloudWatch evaluates these alarms over 5-minute periods. */
export const ALARM_PERIOD_SECONDS = 300;

/**
 * How old the oldest waiting message of a queue may get before someone is told: twice the consumer's
 * timeout, at least 15 minutes. Older means the consumers are stuck, throttled or failing in a loop
 * (a failed record comes back within minutes with the consumer's backoff).
 */
export function oldestMessageAlarmSeconds(definition: QueueDefinition): number {
  return Math.max(900, 2 * (definition.consumer?.timeoutSeconds ?? 0));
}

/** The queues whose backlog age is watched: embedding and merging, where users wait for their upload. */
export const WATCHED_QUEUE_AGE: readonly string[] = ["embed", "reduce"];
