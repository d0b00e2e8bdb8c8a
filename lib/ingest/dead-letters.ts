import * as forgets from "../forgets/lifecycle";
import { forgetMessageSchema } from "../forgets/messages";
import { log } from "../log";
import { findUpload } from "../uploads/upload-rows";
import { parseUploadKey } from "../vaults/layout";
import { embedChunkMessageSchema, mergeUploadMessageSchema } from "./messages";
import { ingestMessageSchema, toObjectCreated } from "./object-events";
import { failUpload, type FailDeps } from "./upload-state";

export const GAVE_UP_MESSAGE =
  "We could not process this upload after several attempts. Your vault is unchanged, and you can upload the file again.";

export const FORGET_GAVE_UP_MESSAGE =
  "We could not remove these memories after several attempts. Your vault is unchanged; please ask again.";

/** The uploads a dead-lettered message was about, whichever queue it died on. */
export function uploadIdsOf(body: unknown): string[] {
  const pipeline = embedChunkMessageSchema.or(mergeUploadMessageSchema).safeParse(body);
  if (pipeline.success) return [pipeline.data.upload_id];
  const ingest = ingestMessageSchema.safeParse(body);
  if (!ingest.success) return [];
  return toObjectCreated(ingest.data).flatMap((event) => parseUploadKey(event.key)?.uploadId ?? []);
}

/**
 * A message that exhausted its retries: its upload is marked failed with a message a person
 * understands, its claimed exchanges are released and its work files removed. The vault keeps
 * everything it had, since only a completed merge ever changes it. A body that is not JSON, or names
 * no upload, is logged and consumed: there is nothing to fail, and a dead-letter queue has no further
 * queue to retry into.
 */
export async function handleDeadLetter(deps: FailDeps, rawBody: string): Promise<number> {
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    log.warn("dead letter is not JSON; nothing to fail", { bytes: rawBody.length, start: rawBody.slice(0, 80) });
    return 0;
  }
  const forget = forgetMessageSchema.safeParse(body);
  if (forget.success) {
    // A forget that kept failing changed nothing: the person is told, and may ask again.
    if (await forgets.fail(deps.db, forget.data.forget_id, FORGET_GAVE_UP_MESSAGE)) return 1;
    log.warn("dead letter of a forget already settled", { forgetId: forget.data.forget_id });
    return 0;
  }
  let failed = 0;
  for (const uploadId of uploadIdsOf(body)) {
    const upload = await findUpload(deps.db, uploadId);
    if (!upload) continue;
    if (await failUpload(deps, upload, GAVE_UP_MESSAGE)) failed += 1;
  }
  if (failed === 0) log.warn("dead letter without a live upload", { start: rawBody.slice(0, 200) });
  return failed;
}
