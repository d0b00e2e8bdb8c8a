import type { SQSClient } from "@aws-sdk/client-sqs";
import type pg from "pg";
import { withTransaction } from "../db/transaction";
import type { ObjectCreatedMessage } from "../ingest/object-events";
import { sendJsonBatches } from "../queues/client";
import { parseUploadKey } from "../vaults/layout";
import { isObjectCreated, type B2Event } from "./b2-events";

export interface ForwardDeps {
  db: pg.Pool;
  sqs: SQSClient;
  ingestQueueUrl: string;
}

export interface ForwardOutcome {
  forwarded: number;
  duplicates: number;
  ignored: number;
  /** Events not forwarded this time (out of time, or SQS refused them): B2 must deliver them again. */
  unsent: number;
}

/** SendMessageBatch calls in flight at once. */
const SEND_CONCURRENCY = 16;

/**
 * Forwards each object-created event under `users/{uuid}/uploads/{upload_id}/` to the ingest queue, once
 * per event id (B2 retries deliveries). All of a POST's events are claimed in one statement and sent
 * ten per SendMessageBatch, several batches at a time, and no batch starts after `stopStartingAt`, so a
 * large notification is answered in time instead of being cut off by the function's timeout. Only the
 * ids that were sent are marked forwarded; the rest come back with B2's retry. The claim rows stay
 * locked until then, so a concurrent delivery of the same events waits and finds them forwarded; a
 * crash before the commit re-sends on retry, which the idempotent ingest consumer absorbs.
 */
export async function forwardB2Events(deps: ForwardDeps, events: B2Event[], options: { stopStartingAt?: number } = {}): Promise<ForwardOutcome> {
  const relevant = events.filter((event) => isObjectCreated(event) && parseUploadKey(event.objectName));
  const ignored = events.length - relevant.length;
  // An id repeated within the POST is one event: it is sent once and counted as a duplicate after that.
  const uploads = new Map(relevant.map((event) => [event.eventId, event]));
  if (uploads.size === 0) return { forwarded: 0, duplicates: 0, ignored, unsent: 0 };

  return withTransaction(deps.db, async (tx) => {
    const ids = [...uploads.keys()];
    await tx.query(
      `INSERT INTO personal.store_events (event_id, object_key)
       SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (event_id) DO NOTHING`,
      [ids, ids.map((id) => uploads.get(id)!.objectName)],
    );
    // Sorted, so two deliveries with overlapping events lock them in the same order and never deadlock.
    const { rows } = await tx.query<{ event_id: string }>(
      `SELECT event_id FROM personal.store_events
        WHERE event_id = ANY($1::text[]) AND forwarded_at IS NULL ORDER BY event_id FOR UPDATE`,
      [ids],
    );
    const { sent, unsent } = await sendJsonBatches(
      deps.sqs,
      deps.ingestQueueUrl,
      rows.map((row) => ({ key: row.event_id, body: ingestMessage(uploads.get(row.event_id)!) })),
      { concurrency: SEND_CONCURRENCY, stopStartingAt: options.stopStartingAt },
    );
    if (sent.length > 0) await tx.query("UPDATE personal.store_events SET forwarded_at = now() WHERE event_id = ANY($1::text[])", [sent]);
    return { forwarded: sent.length, duplicates: relevant.length - sent.length - unsent.length, ignored, unsent: unsent.length };
  });
}

function ingestMessage(event: B2Event): ObjectCreatedMessage {
  return {
    type: "object-created",
    origin: "b2",
    event_id: event.eventId,
    bucket: event.bucketName,
    key: event.objectName,
    size: event.objectSize ?? 0,
    ...(event.eventTimestamp ? { event_time: new Date(event.eventTimestamp).toISOString() } : {}),
  };
}
