import { PassThrough, type Readable } from "node:stream";
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
  stream.write(serverSentEvent("start", { conversation_id: prepared.conversationId, memories_used: prepared.prompt.memoriesUsed }));
  completeChat(deps, prepared, { signal, onDelta: (text) => stream.write(serverSentEvent("delta", { text })) }).then(
    (answer) => stream.end(serverSentEvent("done", answer)),
    (error: unknown) => {
      if (!(isAppError(error) && error.expose)) log.error("chat stream failed", { userId: prepared.userId, error });
      const shown = isAppError(error) && error.expose ? { error: error.code, message: error.message } : { error: "internal_error", message: "Something went wrong on our side. Please try again." };
      stream.end(serverSentEvent("error", shown));
    },
  );
  return stream;
}
