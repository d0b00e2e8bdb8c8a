import { splitUploadConsumer } from "../../lib/ingest/consumers";
import { pipelineDeps } from "../../lib/ingest/pipeline-deps";

/** Ingest queue → parse, dedupe and split an upload into embed chunks. */
export const { main, handler } = splitUploadConsumer(pipelineDeps);
