import { PassThrough, type Readable } from "node:stream";
import type { ChatStreamEvent } from "../api/contract";
import { isAppError } from "../errors";
import { serverSentEvent } from "../http/event-stream";
import { log } from "../log";
import { completeChat, type ChatDeps, type PreparedChat } from "./send-message";

/**
 * The answer to a prepared message as server-sent events, in the order a client renders them:
 * `start` {conversation_id, memories_used}, then `delta` {text} for each piece of the reply, then
 * `done` with the whole answer (as the JSON route gives it), or `error` {error, message} if the model
 * failed half-way (the message is then not counted and nothing is saved).
 */
export function streamChatAnswer(deps: ChatDeps, prepared: PreparedChat, signal?: AbortSignal): Readable {
  const stream = new PassThrough();
  const encode = (event: ChatStreamEvent) => serverSentEvent(event.event, event.data);
  stream.write(encode({ event: "start", data: { conversation_id: prepared.conversationId, memories_used: prepared.prompt.memoriesUsed } }));
  completeChat(deps, prepared, { signal, onDelta: (text) => stream.write(encode({ event: "delta", data: { text } })) }).then(
    (answer) => stream.end(encode({ event: "done", data: answer })),
    (error: unknown) => {
      if (!(isAppError(error) && error.expose)) log.error("chat stream failed", { userId: prepared.userId, error });
      const shown = isAppError(error) && error.expose ? { error: error.code, message: error.message } : { error: "internal_error", message: "Something went wrong on our side. Please try again." };
      stream.end(encode({ event: "error", data: shown }));
    },
  );
  return stream;
}
