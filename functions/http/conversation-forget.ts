import { conversationPathSchema } from "../../lib/api/contract";
import { getForgetTargetDeps } from "../../lib/forgets/forget-targets";
import { forgetConversation } from "../../lib/forgets/forget-targets";
import { httpHandler } from "../../lib/http/handler";
import { parsePathParameters, type HttpEvent } from "../../lib/http/request";
import { answer } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";

/** DELETE /api/personal/vault/conversations/{conversation_id} → 202 {forget}: every memory of the conversation is forgotten. */
export async function main(event: HttpEvent) {
  const deps = getForgetTargetDeps();
  const user = await requireUser(deps.db, event);
  const { conversation_id } = parsePathParameters(event, conversationPathSchema);
  return answer("DELETE /api/personal/vault/conversations/{conversation_id}", 202, { forget: await forgetConversation(deps, user.userId, conversation_id) });
}

export const handler = httpHandler(main);
