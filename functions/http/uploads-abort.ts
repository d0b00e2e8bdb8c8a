import { uploadPathSchema } from "../../lib/api/contract";
import { getPool } from "../../lib/db/pool";
import { httpHandler } from "../../lib/http/handler";
import { parsePathParameters, type HttpEvent } from "../../lib/http/request";
import { noContent } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";
import { getStore } from "../../lib/store/client";
import { abortUpload } from "../../lib/uploads/create-upload";


/** DELETE /api/personal/vault/uploads/{upload_id}: cancels an upload that has not been processed yet. */
export async function main(event: HttpEvent) {
  const db = getPool();
  const user = await requireUser(db, event);
  const { upload_id } = parsePathParameters(event, uploadPathSchema);
  await abortUpload({ db, store: getStore() }, user.userId, upload_id);
  return noContent();
}

export const handler = httpHandler(main);
