import { sqsConsumer } from "../queues/consumer";
import type { Provide } from "./consumers";
import { mergeUpload } from "./merge-upload";
import { deleteEmptiedFiles } from "../vaults/empty-vault";
import { reduceMessageSchema } from "./messages";

/**
 * Reduce queue (FIFO by vault) → merge an upload's chunks into a new version of its vault, or delete
 * the files of a vault that was emptied (in the same order as its merges). Apart from
 * the other consumers because the merge builds the version's search indexes with USearch, which only
 * the merge function carries (functions/manifest.ts).
 */
export function mergeChunksConsumer(deps: Provide) {
  return sqsConsumer("merge-chunks", reduceMessageSchema, (message) => (message.type === "empty-vault" ? deleteEmptiedFiles(deps(), message) : mergeUpload(deps(), message)), { fifo: true });
}
