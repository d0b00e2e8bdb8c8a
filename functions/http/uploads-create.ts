import { createUploadSchema } from "../../lib/api/contract";
import { getConfig } from "../../lib/config";
import { getPool } from "../../lib/db/pool";
import { httpHandler } from "../../lib/http/handler";
import { parseJsonBody, type HttpEvent } from "../../lib/http/request";
import { answer } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";
import { getStore } from "../../lib/store/client";
import { createUpload } from "../../lib/uploads/create-upload";

/**
 * POST /api/personal/vault/uploads {filename, size, content_type} → 201 with a presigned PUT (≤ 100 MB)
 * or a multipart plan; the browser then sends the file straight to the store.
 */
export async function main(event: HttpEvent) {
  const db = getPool();
  const user = await requireUser(db, event);
  const request = parseJsonBody(event, createUploadSchema);
  const { uploads, tiers } = getConfig();
  const deps = { db, store: getStore(), plans: tiers, ...uploads };
  return answer("POST /api/personal/vault/uploads", 201, await createUpload(deps, user.userId, request));
}

export const handler = httpHandler(main);
