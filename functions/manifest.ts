/**
 * What the system deploys, as plain data: the API routes and the queues with their consumers. SST's
 * stacks (`stacks/`) and the local stack (`local/`) both read this, so the routes and queue settings
 * that run locally are the ones that run in the cloud.
 *
 * A handler is named `path/to/file.export`, relative to the project root, as SST names them.
 */
export interface RouteDefinition {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** API Gateway route syntax: `{name}` is a path parameter. */
  path: string;
  handler: string;
  /** Routes whose body must reach the function byte for byte (signatures). */
  rawBody?: boolean;
  timeoutSeconds?: number;
}

export const routes: RouteDefinition[] = [
  { method: "POST", path: "/api/personal/auth/signup", handler: "functions/http/auth-signup.handler" },
  { method: "POST", path: "/api/personal/auth/login", handler: "functions/http/auth-login.handler" },
  { method: "POST", path: "/api/personal/auth/logout", handler: "functions/http/auth-logout.handler" },
  { method: "GET", path: "/api/personal/me", handler: "functions/http/me.handler" },
  { method: "POST", path: "/webhooks/b2", handler: "functions/events/b2-webhook.handler", rawBody: true },
];

export interface QueueDefinition {
  /** Logical name; the local stack names the queue `cogzy-{name}` (plus `.fifo`). */
  name: string;
  fifo: boolean;
  /** The consumer; a queue without one just holds its messages. */
  consumer?: {
    handler: string;
    batchSize: number;
    /** Lambda's SQS maximum concurrency (2–1000); the local pollers honour the same limit. */
    maxConcurrency: number;
    timeoutSeconds: number;
    memoryMb: number;
  };
  /** Deliveries before a message moves to the queue's dead-letter queue. */
  maxReceiveCount: number;
}

export type QueueName = "ingest" | "embed" | "reduce";

export const queues: Record<QueueName, QueueDefinition> = {
  /** Object-created events (from the B2 webhook forwarder, or native S3 notifications). */
  ingest: { name: "ingest", fifo: false, maxReceiveCount: 3 },
  /** One message per chunk of exchanges to embed. */
  embed: { name: "embed", fifo: false, maxReceiveCount: 5 },
  /** Merges of finished uploads into a vault; FIFO grouped by vault id, so one vault's merges never overlap. */
  reduce: { name: "reduce", fifo: true, maxReceiveCount: 3 },
};

/** SQS wants the visibility timeout at least 6 × the consumer's timeout (platform-facts.md). */
export function visibilityTimeoutSeconds(queue: QueueDefinition): number {
  return Math.max(30, 6 * (queue.consumer?.timeoutSeconds ?? 30));
}
