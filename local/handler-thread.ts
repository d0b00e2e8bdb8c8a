/**
 * The runtime of one handler thread of the local stack: `handler-threads.ts` bundles it with one
 * function's module, so each thread loads that function's modules as a Lambda runtime does at a cold
 * start (its own module instances, hence its own database pool, SDK clients and logger carrying its
 * function name), then runs the invocations the stack posts to it, several at once. A handler's error
 * is sent back as the invocation's failure; an uncaught one ends the thread, which fails every
 * invocation it was running.
 */
import { parentPort } from "node:worker_threads";
import type { Context } from "aws-lambda";
import { closePool } from "../lib/db/pool";
import { closeSqs } from "../lib/queues/client";
import { closeStore } from "../lib/store/client";
import type { ThreadReply, ThreadRequest } from "./handler-threads";
import { lambdaContext } from "./lambda-context";

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** Serves invocations of `handler`, the function `handlerName` (SST notation), until told to close. */
export function runHandlerThread(handler: unknown, handlerName: string): void {
  const port = parentPort!;
  const reply = (message: ThreadReply) => port.postMessage(message);
  port.on("message", (request: ThreadRequest) => {
    if (request.type === "close") return void close();
    void (async () => {
      try {
        if (typeof handler !== "function") throw new Error(`${handlerName}: no exported function`);
        const context = lambdaContext(handlerName, 0, { deadline: Date.now() + request.remainingMs, requestId: request.requestId });
        const value = await (handler as Handler)(request.event, context);
        reply({ type: "result", id: request.id, value });
      } catch (error) {
        const { name = "Error", message = String(error), stack } = (error ?? {}) as Partial<Error>;
        reply({ type: "error", id: request.id, error: { name, message, stack } });
      }
    })();
  });
  reply({ type: "loaded" });
}

/** Closes what the function's modules opened, then ends the thread (only this thread: see Worker's process.exit). */
async function close(): Promise<void> {
  await Promise.allSettled([closePool(), Promise.resolve().then(closeStore), Promise.resolve().then(closeSqs)]);
  process.exit(0);
}
