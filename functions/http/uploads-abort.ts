import { uploadPathSchema } from "../../lib/api/contract";
import { getForgetRequestDeps } from "../../lib/forgets/deps";
import { removeUpload } from "../../lib/forgets/request-forget";
import { httpHandler } from "../../lib/http/handler";
import { parsePathParameters, type HttpEvent } from "../../lib/http/request";
import { answer, noContent } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";

/**
 * DELETE /api/personal/vault/uploads/{upload_id}: cancels an upload not yet merged, or dismisses a failed
 * one (204); for a complete one, forgets everything it added (202 {forget}).
 */
export async function main(event: HttpEvent) {
  const deps = getForgetRequestDeps();
  const user = await requireUser(deps.db, event);
  const { upload_id } = parsePathParameters(event, uploadPathSchema);
  const { forget } = await removeUpload(deps, user.userId, upload_id);
  return forget ? answer("DELETE /api/personal/vault/uploads/{upload_id}", 202, { forget }) : noContent();
}

export const handler = httpHandler(main);
