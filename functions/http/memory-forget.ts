import { memoryPathSchema } from "../../lib/api/contract";
import { getForgetTargetDeps } from "../../lib/forgets/forget-targets";
import { forgetMemory } from "../../lib/forgets/forget-targets";
import { httpHandler } from "../../lib/http/handler";
import { parsePathParameters, type HttpEvent } from "../../lib/http/request";
import { answer } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";

/** DELETE /api/personal/vault/memories/{memory_id} → 202 {forget}: the vault's next version will not hold it. */
export async function main(event: HttpEvent) {
  const deps = getForgetTargetDeps();
  const user = await requireUser(deps.db, event);
  const { memory_id } = parsePathParameters(event, memoryPathSchema);
  return answer("DELETE /api/personal/vault/memories/{memory_id}", 202, { forget: await forgetMemory(deps, user.userId, memory_id) });
}

export const handler = httpHandler(main);
