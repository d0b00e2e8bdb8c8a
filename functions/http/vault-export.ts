import { httpHandler } from "../../lib/http/handler";
import type { HttpEvent } from "../../lib/http/request";
import { answer } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";
import { getExportDeps } from "../../lib/vault-export/export-deps";
import { exportVault } from "../../lib/vault-export/export-vault";

/** POST /api/personal/vault/export → {url, expires_at, version, bytes, file_name}: a link to a zip of the vault. */
export async function main(event: HttpEvent) {
  const deps = getExportDeps();
  const user = await requireUser(deps.db, event);
  return answer("POST /api/personal/vault/export", 200, await exportVault(deps, user.userId));
}

export const handler = httpHandler(main);
