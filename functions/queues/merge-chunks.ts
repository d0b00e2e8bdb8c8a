import { mergeChunksConsumer } from "../../lib/ingest/merge-consumer";
import { pipelineDeps } from "../../lib/ingest/pipeline-deps";

/** Reduce queue (FIFO by vault) → merge an upload's chunks into a new version of its vault. */
export const { main, handler } = mergeChunksConsumer(pipelineDeps);
