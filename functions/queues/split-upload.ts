import { getConfig } from "../../lib/config";
import { getPool } from "../../lib/db/pool";
import { getEmbedderIdentity } from "../../lib/ingest/embedder";
import { ingestMessageSchema, isS3TestEvent, toObjectCreated } from "../../lib/ingest/object-events";
import { splitUpload } from "../../lib/ingest/split-upload";
import { getSqs } from "../../lib/queues/client";
import { sqsConsumer } from "../../lib/queues/consumer";
import { getStore } from "../../lib/store/client";

/** Ingest queue → parse, dedupe and split an upload into embed chunks. */
export const { main, handler } = sqsConsumer("split-upload", ingestMessageSchema, async (message) => {
  // Sent once when a bucket notification is configured; it announces no object.
  if (isS3TestEvent(message)) return;
  const config = getConfig();
  const deps = {
    db: getPool(),
    store: getStore(),
    sqs: getSqs(),
    embedQueueUrl: config.queues.embedUrl,
    embedder: getEmbedderIdentity(),
    chunkSize: config.ingest.chunkSize,
  };
  for (const event of toObjectCreated(message)) await splitUpload(deps, event);
});
