/**
 * What the system deploys, as plain data: the API routes, the queues with their consumers, and the
 * scheduled functions. SST's
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
  /**
   * A personal access token (read-only, for MCP clients and scripts) may call this route. Every route
   * without it refuses tokens with 403; lib/http/session.ts enforces this for all routes in one place.
   */
  acceptsAccessTokens?: boolean;
  /** Lambda memory, MB (default SST's 1024). */
  memoryMb?: number;
  /** Native packages SST installs into the function instead of bundling (a prebuilt binary inside). */
  nativePackages?: string[];
  /** Disk at /tmp for the function, MB (Lambda: 512–10,240). */
  tmpMb?: number;
  /**
   * Served by its own function URL with Lambda response streaming (API Gateway cannot stream), behind
   * the same Router as the API, its handler wrapped with middy's `executionModeStreamifyResponse`; the
   * local gateway streams it the same way. The path must be static: it is the Router's path prefix.
   */
  streaming?: boolean;
  /** Database connections the function's pool may open (DATABASE_POOL_SIZE); default {@link DEFAULT_DB_POOL_SIZE}. */
  dbPoolSize?: number;
}

/** The search functions: vault indexes cached per warm container (SEARCH_CACHE_MB), the vector index file in /tmp. */
const SEARCH_FUNCTION: Partial<RouteDefinition> = { acceptsAccessTokens: true, memoryMb: 2048, tmpMb: 2048, nativePackages: ["usearch"] };

/**
 * One connection per function instance: a Lambda instance handles one invocation at a time, and no
 * code path holds a connection while it waits for another (test/ingest/overlapping-uploads.test.ts
 * runs a split on a pool of one). Every instance's pool counts against the database's connection
 * limit, so bigger pools only where work overlaps within an invocation.
 */
export const DEFAULT_DB_POOL_SIZE = 1;

export const routes: RouteDefinition[] = [
  { method: "POST", path: "/api/personal/auth/signup", handler: "functions/http/auth-signup.handler" },
  { method: "POST", path: "/api/personal/auth/login", handler: "functions/http/auth-login.handler" },
  { method: "POST", path: "/api/personal/auth/logout", handler: "functions/http/auth-logout.handler" },
  { method: "GET", path: "/api/personal/me", handler: "functions/http/me.handler", acceptsAccessTokens: true },
  { method: "POST", path: "/api/personal/vault/uploads", handler: "functions/http/uploads-create.handler" },
  { method: "POST", path: "/api/personal/vault/uploads/{upload_id}/complete", handler: "functions/http/uploads-complete.handler" },
  { method: "DELETE", path: "/api/personal/vault/uploads/{upload_id}", handler: "functions/http/uploads-abort.handler" },
  { method: "GET", path: "/api/personal/vault/upload/{upload_id}", handler: "functions/http/upload-get.handler", acceptsAccessTokens: true },
  { method: "GET", path: "/api/personal/vault/status", handler: "functions/http/vault-status.handler", acceptsAccessTokens: true },
  { method: "GET", path: "/api/personal/vault/search", handler: "functions/http/search.handler", ...SEARCH_FUNCTION },
  { method: "GET", path: "/api/personal/vault/memories/{memory_id}", handler: "functions/http/memory-get.handler", ...SEARCH_FUNCTION },
  // Forgetting (issue 10): recorded, then done on the reduce queue with the vault's merges (202). A memory or
  // conversation is looked up in the search indexes, hence USearch and the search functions' memory.
  { method: "DELETE", path: "/api/personal/vault/memories/{memory_id}", handler: "functions/http/memory-forget.handler", ...SEARCH_FUNCTION, acceptsAccessTokens: false },
  { method: "DELETE", path: "/api/personal/vault/conversations/{conversation_id}", handler: "functions/http/conversation-forget.handler", ...SEARCH_FUNCTION, acceptsAccessTokens: false },
  { method: "GET", path: "/api/personal/vault/forgets", handler: "functions/http/forgets-list.handler", acceptsAccessTokens: true },
  { method: "POST", path: "/api/personal/vault/forgets/{forget_id}/restore", handler: "functions/http/forget-restore.handler" },
  { method: "POST", path: "/api/personal/tokens", handler: "functions/http/tokens-create.handler" },
  { method: "GET", path: "/api/personal/tokens", handler: "functions/http/tokens-list.handler" },
  { method: "DELETE", path: "/api/personal/tokens/{token_id}", handler: "functions/http/tokens-revoke.handler" },
  // MCP streamable HTTP, stateless: POST carries JSON-RPC; GET (a server-to-client stream) answers 405.
  { method: "POST", path: "/mcp", handler: "functions/http/mcp.handler", ...SEARCH_FUNCTION },
  { method: "GET", path: "/mcp", handler: "functions/http/mcp.handler", ...SEARCH_FUNCTION },
  { method: "POST", path: "/webhooks/b2", handler: "functions/events/b2-webhook.handler", rawBody: true },
  { method: "GET", path: "/api/personal/plans", handler: "functions/http/plans.handler" },
  { method: "GET", path: "/api/personal/usage", handler: "functions/http/usage.handler" },
  { method: "POST", path: "/api/personal/billing/checkout", handler: "functions/http/billing-checkout.handler" },
  { method: "POST", path: "/webhooks/stripe", handler: "functions/events/stripe-webhook.handler", rawBody: true },
  // A person waits while the model answers: streamed from its own function URL, with time for a slow model;
  // it retrieves memories like the search functions (their index cache and USearch), but takes no read-only token.
  { method: "POST", path: "/api/personal/chat", handler: "functions/http/chat.handler", streaming: true, timeoutSeconds: 120, memoryMb: 2048, tmpMb: 2048, nativePackages: ["usearch"] },
  { method: "GET", path: "/api/personal/chat/conversations", handler: "functions/http/chat-conversations-list.handler" },
  { method: "GET", path: "/api/personal/chat/conversations/{conversation_id}", handler: "functions/http/chat-conversation-get.handler" },
  { method: "DELETE", path: "/api/personal/chat/conversations/{conversation_id}", handler: "functions/http/chat-conversation-delete.handler" },
  // Memory control: browse (reads: access tokens allowed), export and the deletions (sessions only).
  // Browse, export and emptying read the version's search segments (lib/search), whose modules load USearch.
  { method: "GET", path: "/api/personal/vault/memories", handler: "functions/http/memories-list.handler", acceptsAccessTokens: true, nativePackages: ["usearch"] },
  { method: "GET", path: "/api/personal/vault/conversations", handler: "functions/http/conversations-list.handler", acceptsAccessTokens: true, nativePackages: ["usearch"] },
  { method: "GET", path: "/api/personal/vault/topics", handler: "functions/http/topics.handler", acceptsAccessTokens: true, nativePackages: ["usearch"] },
  { method: "DELETE", path: "/api/personal/me", handler: "functions/http/me-delete.handler", timeoutSeconds: 300 },
  { method: "DELETE", path: "/api/personal/vault", handler: "functions/http/vault-empty.handler", nativePackages: ["usearch"] },
  // Streams the zip into the store (nodes.json copied to /tmp for memories.md); a large vault takes a while.
  { method: "POST", path: "/api/personal/vault/export", handler: "functions/http/vault-export.handler", timeoutSeconds: 900, memoryMb: 1024, tmpMb: 4096, nativePackages: ["usearch"] },
];

export interface ConsumerDefinition {
  handler: string;
  batchSize: number;
  /** Lambda's SQS maximum concurrency (2–1000); the local pollers honour the same limit. */
  maxConcurrency: number;
  timeoutSeconds: number;
  memoryMb: number;
  /** Native packages SST installs into the function instead of bundling (a prebuilt binary inside). */
  nativePackages?: string[];
  /** Database connections per instance (DATABASE_POOL_SIZE); default {@link DEFAULT_DB_POOL_SIZE}. */
  dbPoolSize?: number;
  /** V8's young-generation semi-space, MiB, when not its default ({@link nodeOptions}). */
  semiSpaceMb?: number;
}

/**
 * The semi-space of the functions that pass an upload's bytes through strings and buffers (the split,
 * the embed workers, the merge). V8 sizes it from the heap limit, 16 MiB at most: every few MiB of
 * parsed text then sends a scavenge through the chunks and batches in flight, and those it copies or
 * promotes. Larger costs three times the increase in heap (https://nodejs.org/api/cli.html#--max-semi-space-sizesize-in-mib);
 * 64 MiB took 0.8 to 2.0 s off the split of a 100k-exchange export (bench:ingest, three pairs of runs).
 */
const INGEST_SEMI_SPACE_MB = 64;

/**
 * The NODE_OPTIONS a function runs with: its {@link ConsumerDefinition.semiSpaceMb}, a V8 option Node
 * takes from the environment (https://nodejs.org/api/cli.html#node_optionsoptions), as Lambda's Node.js
 * runtimes do. The local stack gives a handler thread the same young generation (local/handler-threads.ts).
 */
export function nodeOptions(spec: { semiSpaceMb?: number }): string | undefined {
  return spec.semiSpaceMb ? `--max-semi-space-size=${spec.semiSpaceMb}` : undefined;
}

export interface QueueDefinition {
  /** Logical name; the local stack names the queue `cogzy-{name}` (plus `.fifo`). */
  name: string;
  fifo: boolean;
  /** The consumer; a queue without one just holds its messages. */
  consumer?: ConsumerDefinition;
  /** Deliveries before a message moves to the queue's dead-letter queue. */
  maxReceiveCount: number;
  /** Consumes the dead-letter queue: marks the message's upload failed so nobody waits forever. */
  deadLetterHandler?: string;
}

export type QueueName = "ingest" | "embed" | "reduce";

const DEAD_LETTER_HANDLER = "functions/queues/dead-letter.handler";

/** The consumer of every dead-letter queue (`deadLetterHandler`): one message at a time, two at once. */
export const DEAD_LETTER_CONSUMER: ConsumerDefinition = { handler: DEAD_LETTER_HANDLER, batchSize: 1, maxConcurrency: 2, timeoutSeconds: 60, memoryMb: 1024 };

export const queues: Record<QueueName, QueueDefinition> = {
  /** Object-created events (from the B2 webhook forwarder, or native S3 notifications). */
  ingest: {
    name: "ingest",
    fifo: false,
    maxReceiveCount: 3,
    // Two connections: the split's heartbeat beats while its claims run.
    consumer: { handler: "functions/queues/split-upload.handler", batchSize: 1, maxConcurrency: 20, timeoutSeconds: 900, memoryMb: 2048, dbPoolSize: 2, semiSpaceMb: INGEST_SEMI_SPACE_MB },
    deadLetterHandler: DEAD_LETTER_HANDLER,
  },
  /** One message per chunk of exchanges to embed; 200 at once, the embedding provider's concurrency limit. */
  embed: {
    name: "embed",
    fifo: false,
    maxReceiveCount: 5,
    consumer: { handler: "functions/queues/embed-chunk.handler", batchSize: 1, maxConcurrency: 200, timeoutSeconds: 300, memoryMb: 1024, semiSpaceMb: INGEST_SEMI_SPACE_MB },
    deadLetterHandler: DEAD_LETTER_HANDLER,
  },
  /** Merges of finished uploads into a vault; FIFO grouped by vault id, so one vault's merges never overlap. */
  reduce: {
    name: "reduce",
    fifo: true,
    maxReceiveCount: 3,
    // The merge also builds the version's search indexes (USearch, a native package: see `nativePackages`).
    consumer: { handler: "functions/queues/merge-chunks.handler", batchSize: 1, maxConcurrency: 20, timeoutSeconds: 900, memoryMb: 3008, nativePackages: ["usearch"], semiSpaceMb: INGEST_SEMI_SPACE_MB },
    deadLetterHandler: DEAD_LETTER_HANDLER,
  },
};

/**
 * The visibility timeout of a queue, from its consumer's timeout; the one rule for every queue, dead-letter
 * queues included (`{ consumer: DEAD_LETTER_CONSUMER }`). Lambda refuses an SQS event source whose queue's
 * visibility timeout is below the function's timeout and recommends six times it, so batches survive
 * retries of throttled invocations (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html);
 * SQS allows at most 12 hours.
 */
export function visibilityTimeoutSeconds(queue: Pick<QueueDefinition, "consumer">): number {
  return Math.min(43_200, Math.max(30, 6 * (queue.consumer?.timeoutSeconds ?? 0)));
}

/**
 * A function run on a timer: EventBridge Scheduler in the cloud (`sst.aws.Cron`), a timer in the local
 * stack. Every run must be safe to repeat and to overlap with the previous one.
 */
export interface ScheduleDefinition {
  /** Logical name, kebab-case; the component is named after it. */
  name: string;
  handler: string;
  /**
   * An EventBridge schedule expression, `rate(5 minutes)` or `cron(0 3 * * ? *)` (UTC):
   * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
   */
  schedule: string;
  timeoutSeconds: number;
  memoryMb?: number;
  /** Database connections per instance (DATABASE_POOL_SIZE); default {@link DEFAULT_DB_POOL_SIZE}. */
  dbPoolSize?: number;
}

export const schedules: ScheduleDefinition[] = [
  /** Uploads with no progress for longer than their stage's timeout: re-driven, or failed with a reason. */
  { name: "sweep-stale-uploads", handler: "functions/schedules/sweep-stale-uploads.handler", schedule: "rate(5 minutes)", timeoutSeconds: 120 },
  /** Sessions past their expiry, store and Stripe event ids past their re-delivery windows, idle log-in throttles and finished rate-limit windows, deleted. */
  { name: "purge-expired-rows", handler: "functions/schedules/purge-expired-rows.handler", schedule: "rate(1 hour)", timeoutSeconds: 300 },
  /** Interrupted account deletions and vault emptyings whose file deletion never ran finished; files left under deleted accounts' prefixes removed. */
  { name: "sweep-vault-files", handler: "functions/schedules/sweep-vault-files.handler", schedule: "rate(1 hour)", timeoutSeconds: 900 },
  /** Vault versions replaced more than SWEEP_GRACE_HOURS ago, and the search segments only they listed (a forgotten memory's last copies). */
  { name: "sweep-old-versions", handler: "functions/schedules/sweep-old-versions.handler", schedule: "rate(1 hour)", timeoutSeconds: 900 },
];

/**
 * Functions the deploy itself invokes. `migrate-database` runs before any other function changes
 * (stacks/database.ts, through `aws.lambda.Invocation`); `npm start` applies the same migrations with the
 * same code (lib/db/migrate.ts) before it serves anything.
 */
export const deployFunctions = {
  migrateDatabase: { handler: "functions/deploy/migrate-database.handler", timeoutSeconds: 300, dbPoolSize: 1 },
} as const;
