import { getConfig } from "../../lib/config";
import { getPool } from "../../lib/db/pool";
import { embedChunk } from "../../lib/ingest/embed-chunk";
import { getEmbedder } from "../../lib/ingest/embedder";
import { embedChunkMessageSchema } from "../../lib/ingest/messages";
import { getSqs } from "../../lib/queues/client";
import { sqsConsumer } from "../../lib/queues/consumer";
import { getStore } from "../../lib/store/client";

/** Embed queue (up to 200 at once) → embed one chunk; the last chunk of an upload asks for the merge. */
export const { main, handler } = sqsConsumer("embed-chunk", embedChunkMessageSchema, (message) =>
  embedChunk({ db: getPool(), store: getStore(), sqs: getSqs(), reduceQueueUrl: getConfig().queues.reduceUrl, embedder: getEmbedder() }, message),
);
