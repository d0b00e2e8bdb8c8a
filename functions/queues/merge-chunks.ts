import { getPool } from "../../lib/db/pool";
import { mergeUploadMessageSchema } from "../../lib/ingest/messages";
import { mergeUpload } from "../../lib/ingest/merge-upload";
import { sqsConsumer } from "../../lib/queues/consumer";
import { getStore } from "../../lib/store/client";

/** Reduce queue (FIFO by vault) → merge an upload's chunks into a new version of its vault. */
export const { main, handler } = sqsConsumer(
  "merge-chunks",
  mergeUploadMessageSchema,
  (message) => mergeUpload({ db: getPool(), store: getStore() }, message),
  { fifo: true },
);
