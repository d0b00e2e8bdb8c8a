import { z } from "zod";
import { getPool } from "../../lib/db/pool";
import { handleDeadLetter } from "../../lib/ingest/dead-letters";
import { sqsConsumer } from "../../lib/queues/consumer";
import { getStore } from "../../lib/store/client";

/** Every dead-letter queue → mark the message's upload failed, release its claims; the vault is unchanged. */
export const { main, handler } = sqsConsumer("dead-letter", z.unknown(), (body) => handleDeadLetter({ db: getPool(), store: getStore() }, body));
