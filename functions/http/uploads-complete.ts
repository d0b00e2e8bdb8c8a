import { completeUploadSchema, uploadPathSchema } from "../../lib/api/contract";
import { getPool } from "../../lib/db/pool";
import { httpHandler } from "../../lib/http/handler";
import { parseJsonBody, parsePathParameters, type HttpEvent } from "../../lib/http/request";
import { answer } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";
import { getStore } from "../../lib/store/client";
import { completeUpload } from "../../lib/uploads/create-upload";

/** POST /api/personal/vault/uploads/{upload_id}/complete {parts: [{part_number, etag}]}: finishes a multipart upload. */
export async function main(event: HttpEvent) {
  const db = getPool();
  const user = await requireUser(db, event);
  const { upload_id } = parsePathParameters(event, uploadPathSchema);
  const { parts } = parseJsonBody(event, completeUploadSchema);
  return answer("POST /api/personal/vault/uploads/{upload_id}/complete", 200, await completeUpload({ db, store: getStore() }, user.userId, upload_id, parts));
}

export const handler = httpHandler(main);
