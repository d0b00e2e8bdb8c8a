import type { SQSClient } from "@aws-sdk/client-sqs";
import type pg from "pg";
import { getConfig } from "../config";
import { getPool } from "../db/pool";
import type { Embedder } from "../embeddings";
import { getSqs } from "../queues/client";
import { getStore, type Store } from "../store/client";
import { getEmbedder } from "./embedder";

/** Everything the pipeline's consumers use: clients, queue addresses and settings. */
export interface PipelineDeps {
  db: pg.Pool;
  store: Store;
  sqs: SQSClient;
  ingestQueueUrl: string;
  embedQueueUrl: string;
  reduceQueueUrl: string;
  embedder: Embedder;
  /** Nodes per embed message. */
  chunkSize: number;
  /** Seconds a split attempt may go without a heartbeat before another delivery takes over. */
  leaseSeconds: number;
  /** Uploads from this size on get clustering samples (default lib/ingest/embed-chunk.ts `SAMPLED_UPLOAD_BYTES`). */
  sampledUploadBytes?: number;
  /** First versions from this many rows are clustered on their own thread (default lib/vaults/version-writer.ts `CLUSTER_THREAD_ROWS`). */
  clusterThreadRows?: number;
}

/** The process's real clients and settings, read on first use (at cold start in a function). */
export function pipelineDeps(): PipelineDeps {
  const config = getConfig();
  return {
    db: getPool(),
    store: getStore(),
    sqs: getSqs(),
    ingestQueueUrl: config.queues.ingestUrl,
    embedQueueUrl: config.queues.embedUrl,
    reduceQueueUrl: config.queues.reduceUrl,
    embedder: getEmbedder(),
    chunkSize: config.ingest.chunkSize,
    leaseSeconds: config.ingest.splitLeaseSeconds,
  };
}
