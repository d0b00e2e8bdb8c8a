import { embedChunkConsumer } from "../../lib/ingest/consumers";
import { pipelineDeps } from "../../lib/ingest/pipeline-deps";

/** Embed queue (up to 200 at once) → embed one chunk; the last chunk of an upload asks for the merge. */
export const { main, handler } = embedChunkConsumer(pipelineDeps);
