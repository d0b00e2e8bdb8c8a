import { uploadPathSchema } from "../../lib/api/contract";
import { getPool } from "../../lib/db/pool";
import { NotFoundError } from "../../lib/errors";
import { httpHandler } from "../../lib/http/handler";
import { parsePathParameters, type HttpEvent } from "../../lib/http/request";
import { answer } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";
import { describeUpload } from "../../lib/uploads/progress";
import { findOwnedUploadView } from "../../lib/uploads/upload-rows";


/** GET /api/personal/vault/upload/{upload_id}: live progress. Someone else's upload is a 404, like a missing one. */
export async function main(event: HttpEvent) {
  const db = getPool();
  const user = await requireUser(db, event);
  const { upload_id } = parsePathParameters(event, uploadPathSchema);
  const upload = await findOwnedUploadView(db, user.userId, upload_id);
  if (!upload) throw new NotFoundError("No such upload.");
  return answer("GET /api/personal/vault/upload/{upload_id}", 200, describeUpload(upload));
}

export const handler = httpHandler(main);
