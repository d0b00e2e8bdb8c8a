import { z } from "zod";
import { embedderIdentity } from "../embeddings";
import { sqsConsumer } from "../queues/consumer";
import { handleDeadLetter } from "./dead-letters";
import { embedChunk } from "./embed-chunk";
import { embedChunkMessageSchema } from "./messages";
import { ingestMessageSchema, isS3TestEvent, toObjectCreated } from "./object-events";
import type { PipelineDeps } from "./pipeline-deps";
import { splitUpload } from "./split-upload";

/**
 * The pipeline's queue consumers, built from the dependencies they are given. `functions/queues/*`
 * pass the real clients ({@link pipelineDeps}); tests pass faulty ones, so the code under test is the
 * code that runs. `deps` is called once per message, so clients can be made on first use.
 * The merge's consumer is in `merge-consumer.ts`: it alone needs USearch, a native package deployed only
 * with the functions that declare it (`nativePackages` in functions/manifest.ts), and every handler
 * bundles all of the module it imports from.
 */
export type Provide = () => PipelineDeps;

/** Ingest queue → parse, dedupe and split an upload into embed chunks. */
export function splitUploadConsumer(deps: Provide) {
  return sqsConsumer("split-upload", ingestMessageSchema, async (message) => {
    // Sent once when a bucket notification is configured; it announces no object.
    if (isS3TestEvent(message)) return;
    const resolved = deps();
    for (const event of toObjectCreated(message)) await splitUpload({ ...resolved, embedder: embedderIdentity(resolved.embedder) }, event);
  });
}

/** Embed queue (up to 200 at once) → embed one chunk; the last chunk of an upload asks for the merge. */
export function embedChunkConsumer(deps: Provide) {
  return sqsConsumer("embed-chunk", embedChunkMessageSchema, (message) => embedChunk(deps(), message));
}

/**
 * Every dead-letter queue → mark the message's upload failed, release its claims; the vault is unchanged.
 * The body is taken as raw text: a message may be here precisely because it was not readable.
 */
export function deadLetterConsumer(deps: Provide) {
  return sqsConsumer("dead-letter", z.string(), (body) => handleDeadLetter(deps(), body), { rawBody: true });
}
