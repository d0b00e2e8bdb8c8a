import { randomUUID } from "node:crypto";
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
  await sendEmbedMessages(deps, upload, attempt, rows.map((row) => row.chunk_index));
  return rows.length;
}

/** The embed messages of chunks `indexes` of `attempt`, ten per SendMessageBatch; their rows must be committed. */
export async function sendEmbedMessages(deps: { sqs: SQSClient; embedQueueUrl: string }, upload: UploadRef, attempt: number, indexes: readonly number[]): Promise<void> {
  const messages: EmbedChunkMessage[] = indexes.map((chunkIndex) => ({
    type: "embed-chunk",
    upload_id: upload.id,
    vault_id: upload.vault_id,
    attempt,
    chunk_index: chunkIndex,
    input_key: chunkInputKey(upload.vault_prefix, upload.id, attempt, chunkIndex),
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
}

/**
 * Asks for an upload's merge. One message group per vault: SQS FIFO runs one vault's merges one after
 * the other, different vaults in parallel. Every request is its own message (a fresh deduplication
 * id): the merge is idempotent, and a request must never be mistaken for an earlier one of the same
 * upload, e.g. a wake-up after the upload it waited on settled.
 */
export async function requestMerge(deps: { sqs: SQSClient; reduceQueueUrl: string }, upload: { id: string; vault_id: string }, attempt: number): Promise<void> {
  const message: MergeUploadMessage = { type: "merge-upload", upload_id: upload.id, vault_id: upload.vault_id, attempt };
  await sendJson(deps.sqs, deps.reduceQueueUrl, message, { groupId: upload.vault_id, deduplicationId: `${upload.id}:${attempt}:${randomUUID()}` });
}

/**
 * Asks again for the merge of every upload of the vault that is waiting in `merging`, after `cause`
 * settled or finished embedding: a merge that waited for it can now go on (see the merge's TSDoc).
 */
export async function wakeWaitingMerges(deps: { db: Queryable; sqs: SQSClient; reduceQueueUrl: string }, vaultId: string, cause: string): Promise<void> {
  const { rows } = await deps.db.query<{ id: string; split_attempt: number }>(
    "SELECT id, split_attempt FROM personal.vault_uploads WHERE vault_id = $1 AND state = 'merging' AND id <> $2",
    [vaultId, cause],
  );
  for (const row of rows) await requestMerge(deps, { id: row.id, vault_id: vaultId }, row.split_attempt);
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
