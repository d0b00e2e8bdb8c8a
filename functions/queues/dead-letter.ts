import { deadLetterConsumer } from "../../lib/ingest/consumers";
import { pipelineDeps } from "../../lib/ingest/pipeline-deps";

/** Every dead-letter queue → mark the message's upload failed, release its claims; the vault is unchanged. */
export const { main, handler } = deadLetterConsumer(pipelineDeps);
