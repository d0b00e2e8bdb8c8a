import type { SQSClient } from "@aws-sdk/client-sqs";
import type pg from "pg";
import { withTransaction } from "../db/transaction";
import type { z } from "zod";
import type { forwardedObjectCreatedSchema } from "../ingest/object-events";
import { sendJson } from "../queues/client";
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
}

/**
 * Forwards each object-created event under `users/{uuid}/uploads/{upload_id}/` to the ingest queue, once
 * per event id: B2 retries deliveries, so the id is claimed in Postgres and marked forwarded after the
 * send. A crash between the two re-sends on retry; the ingest consumer is idempotent, so that is safe.
 */
export async function forwardB2Events(deps: ForwardDeps, events: B2Event[]): Promise<ForwardOutcome> {
  const outcome: ForwardOutcome = { forwarded: 0, duplicates: 0, ignored: 0 };
  for (const event of events) {
    if (!isObjectCreated(event) || !parseUploadKey(event.objectName)) {
      outcome.ignored += 1;
      continue;
    }
    const sent = await forwardOnce(deps, event);
    outcome[sent ? "forwarded" : "duplicates"] += 1;
  }
  return outcome;
}

async function forwardOnce(deps: ForwardDeps, event: B2Event): Promise<boolean> {
  return withTransaction(deps.db, async (tx) => {
    await tx.query(
      "INSERT INTO personal.store_events (event_id, object_key) VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING",
      [event.eventId, event.objectName],
    );
    // The row lock makes concurrent deliveries of one event take turns: only the first one sends.
    const { rows } = await tx.query<{ forwarded_at: Date | null }>(
      "SELECT forwarded_at FROM personal.store_events WHERE event_id = $1 FOR UPDATE",
      [event.eventId],
    );
    if (rows[0]?.forwarded_at) return false;
    const message: z.infer<typeof forwardedObjectCreatedSchema> = {
      type: "object-created",
      origin: "b2",
      event_id: event.eventId,
      bucket: event.bucketName,
      key: event.objectName,
      size: event.objectSize ?? 0,
      ...(event.eventTimestamp ? { event_time: new Date(event.eventTimestamp).toISOString() } : {}),
    };
    await sendJson(deps.sqs, deps.ingestQueueUrl, message);
    await tx.query("UPDATE personal.store_events SET forwarded_at = now() WHERE event_id = $1", [event.eventId]);
    return true;
  });
}
