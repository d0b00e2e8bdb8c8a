import { z } from "zod";
import { getPool } from "../../lib/db/pool";
import { handleDeadLetter } from "../../lib/ingest/dead-letters";
import { sqsConsumer } from "../../lib/queues/consumer";
import { getStore } from "../../lib/store/client";

/**
 * Every dead-letter queue → mark the message's upload failed, release its claims; the vault is unchanged.
 * The body is taken as raw text: a message may be here precisely because it was not readable.
 */
export const { main, handler } = sqsConsumer("dead-letter", z.string(), (body) => handleDeadLetter({ db: getPool(), store: getStore() }, body), { rawBody: true });
