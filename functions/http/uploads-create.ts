import { z } from "zod";
import { getConfig } from "../../lib/config";
import { getPool } from "../../lib/db/pool";
import { httpHandler } from "../../lib/http/handler";
import { parseJsonBody, type HttpEvent } from "../../lib/http/request";
import { json } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";
import { getStore } from "../../lib/store/client";
import { createUpload } from "../../lib/uploads/create-upload";

const body = z.object({
  filename: z.string().trim().min(1, "Give the file's name.").max(500),
  size: z.number({ message: "Give the file's size in bytes." }).int().nonnegative().max(50 * 1024 ** 3, "Files over 50 GB are not accepted."),
  content_type: z.string().max(200).optional(),
});

/**
 * POST /api/personal/vault/uploads {filename, size, content_type} → 201 with a presigned PUT (≤ 100 MB)
 * or a multipart plan; the browser then sends the file straight to the store.
 */
export async function main(event: HttpEvent) {
  const db = getPool();
  const user = await requireUser(db, event);
  const request = parseJsonBody(event, body);
  const { uploads, tiers } = getConfig();
  const deps = { db, store: getStore(), plans: tiers, ...uploads };
  return json(201, await createUpload(deps, user.userId, request));
}

export const handler = httpHandler(main);
