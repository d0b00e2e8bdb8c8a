import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { Queryable } from "../db/pool";
import { sendJson } from "../queues/client";
import type { EmbedChunkMessage, MergeUploadMessage } from "./messages";
import type { ObjectCreatedMessage } from "./object-events";
import { chunkInputKey } from "./work-files";

type UploadRef = { id: string; vault_id: string; vault_prefix: string };

/**
 * One embed message per chunk of `attempt` not yet embedded, ten per SendMessageBatch. Safe to repeat:
 * the embed consumer counts each chunk once, whatever the number of messages for it.
 */
export async function enqueueChunks(deps: { db: Queryable; sqs: SQSClient; embedQueueUrl: string }, upload: UploadRef, attempt: number): Promise<number> {
  const { rows } = await deps.db.query<{ chunk_index: number }>(
    "SELECT chunk_index FROM personal.upload_chunks WHERE upload_id = $1 AND attempt = $2 AND state = 'pending' ORDER BY chunk_index",
    [upload.id, attempt],
  );
  const messages: EmbedChunkMessage[] = rows.map((row) => ({
    type: "embed-chunk",
    upload_id: upload.id,
    vault_id: upload.vault_id,
    attempt,
    chunk_index: row.chunk_index,
    input_key: chunkInputKey(upload.vault_prefix, upload.id, attempt, row.chunk_index),
  }));
  for (let at = 0; at < messages.length; at += 10) {
    const batch = messages.slice(at, at + 10);
    const answer = await deps.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: deps.embedQueueUrl,
        Entries: batch.map((message, index) => ({ Id: String(index), MessageBody: JSON.stringify(message) })),
      }),
    );
    if (answer.Failed?.length) throw new Error(`could not enqueue ${answer.Failed.length} embed messages: ${answer.Failed[0]!.Message}`);
  }
  return messages.length;
}

/**
 * Asks for an upload's merge. One message group per vault: SQS FIFO runs one vault's merges one after
 * the other, different vaults in parallel. `reason` makes the deduplication id: repeats of one request
 * within SQS's five-minute window are dropped, and the merge itself is idempotent anyway.
 */
export async function requestMerge(deps: { sqs: SQSClient; reduceQueueUrl: string }, upload: { id: string; vault_id: string }, attempt: number, reason = "embedded"): Promise<void> {
  const message: MergeUploadMessage = { type: "merge-upload", upload_id: upload.id, vault_id: upload.vault_id, attempt };
  await sendJson(deps.sqs, deps.reduceQueueUrl, message, { groupId: upload.vault_id, deduplicationId: `${upload.id}:${attempt}:${reason}` });
}

/** Announces an upload's object again, as the store's event would: the split resumes or restarts it. */
export async function requestSplit(deps: { sqs: SQSClient; ingestQueueUrl: string }, upload: { id: string; object_key: string; declared_bytes: number }, bucket: string, reason: string): Promise<void> {
  const message: ObjectCreatedMessage = {
    type: "object-created",
    origin: "sweep",
    event_id: `sweep:${upload.id}:${reason}`,
    bucket,
    key: upload.object_key,
    size: Number(upload.declared_bytes),
  };
  await sendJson(deps.sqs, deps.ingestQueueUrl, message);
}
