import middy from "@middy/core";
import { executionModeStreamifyResponse } from "@middy/core/StreamifyResponse";
import type { Context } from "aws-lambda";
import { chatRequestSchema } from "../../lib/api/contract";
import { getChatDeps } from "../../lib/chat/deps";
import { completeChat, prepareChat } from "../../lib/chat/send-message";
import { streamChatAnswer } from "../../lib/chat/stream-answer";
import { errorResponses } from "../../lib/http/handler";
import { EVENT_STREAM_HEADERS, wantsEventStream } from "../../lib/http/event-stream";
import { parseJsonBody, type HttpEvent } from "../../lib/http/request";
import { answer, type HttpResult } from "../../lib/http/response";
import { requireUser } from "../../lib/http/session";

/**
 * POST /api/personal/chat {message, conversation_id?} → {conversation_id, reply, memories_used, usage, model};
 * with `Accept: text/event-stream`, the same as server-sent events (start, delta…, done). 429
 * `daily_limit` and 404 come before anything is streamed. Served by a function URL with response
 * streaming (manifest `streaming: true`); the reply must be done a second before the function's timeout.
 */
export async function main(event: HttpEvent, context: Context): Promise<HttpResult | (Omit<HttpResult, "body"> & { body: NodeJS.ReadableStream })> {
  const deps = getChatDeps();
  const user = await requireUser(deps.db, event);
  const input = parseJsonBody(event, chatRequestSchema);
  const signal = AbortSignal.timeout(Math.max(1_000, context.getRemainingTimeInMillis() - 1_000));
  const prepared = await prepareChat(deps, user.userId, input);
  if (!wantsEventStream(event)) return answer("POST /api/personal/chat", 200, await completeChat(deps, prepared, { signal }));
  return { statusCode: 200, headers: { ...EVENT_STREAM_HEADERS }, body: streamChatAnswer(deps, prepared, signal) };
}

export const handler = middy(main, { executionMode: executionModeStreamifyResponse }).use(errorResponses());
