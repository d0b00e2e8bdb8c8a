import { forgetMemories } from "../forgets/forget-memories";
import { sqsConsumer } from "../queues/consumer";
import { deleteEmptiedFiles } from "../vaults/empty-vault";
import type { Provide } from "./consumers";
import { mergeUpload } from "./merge-upload";
import { reduceMessageSchema, type ReduceMessage } from "./messages";

/**
 * Reduce queue (FIFO by vault) → merge an upload's chunks into a new version of its vault, write the
 * version without what the person asked to forget, or delete the files of a vault that was emptied.
 * One queue for all three keeps each vault's version changes one after the other, in the order they
 * were asked for. Apart from the other consumers because merges and forgets build search indexes with
 * USearch, which only this function carries (functions/manifest.ts).
 */
export function mergeChunksConsumer(deps: Provide) {
  return sqsConsumer("merge-chunks", reduceMessageSchema, (message: ReduceMessage) => {
    switch (message.type) {
      case "empty-vault":
        return deleteEmptiedFiles(deps(), message);
      case "forget":
        return forgetMemories(deps(), message);
      case "merge-upload":
        return mergeUpload(deps(), message);
    }
  }, { fifo: true });
}
