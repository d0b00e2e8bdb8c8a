import { z } from "zod";
import { getPool } from "../../lib/db/pool";
import { httpHandler } from "../../lib/http/handler";
import { parseJsonBody, parsePathParameters, type HttpEvent } from "../../lib/http/request";
import { json } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";
import { getStore } from "../../lib/store/client";
import { completeUpload } from "../../lib/uploads/create-upload";

const path = z.object({ upload_id: z.uuid({ message: "No such upload." }) });
const body = z.object({
  parts: z.array(z.object({ part_number: z.number().int().min(1).max(10_000), etag: z.string().min(1).max(200) })).min(1).max(10_000),
});

/** POST /api/personal/vault/uploads/{upload_id}/complete {parts: [{part_number, etag}]}: finishes a multipart upload. */
export async function main(event: HttpEvent) {
  const db = getPool();
  const user = await requireUser(db, event);
  const { upload_id } = parsePathParameters(event, path);
  const { parts } = parseJsonBody(event, body);
  return json(200, await completeUpload({ db, store: getStore() }, user.userId, upload_id, parts));
}

export const handler = httpHandler(main);
