/**
 * One handler thread of the local stack, started by `handler-threads.ts` with `workerData` naming one
 * function: it loads that function's module as a Lambda runtime does at a cold start (its own module
 * instances, hence its own database pool, SDK clients and logger carrying its function name) and runs
 * the invocations the stack posts to it, several at once. A handler's error is sent back as the
 * invocation's failure; an uncaught one ends the thread, which fails every invocation it was running.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { Context } from "aws-lambda";
import { closePool } from "../lib/db/pool";
import { closeSqs } from "../lib/queues/client";
import { closeStore } from "../lib/store/client";
import type { ThreadData, ThreadReply, ThreadRequest } from "./handler-threads";
import { lambdaContext, loadHandler } from "./lambda-context";

type Handler = (event: unknown, context: Context) => Promise<unknown>;

const { root, handler: handlerName } = workerData as ThreadData;
const port = parentPort!;
const loading = loadHandler<Handler>(root, handlerName);
const reply = (message: ThreadReply) => port.postMessage(message);
// A module that fails to load fails each invocation with its error (Lambda's init error), not the thread.
loading.then(
  () => reply({ type: "loaded" }),
  () => reply({ type: "loaded" }),
);

port.on("message", (request: ThreadRequest) => {
  if (request.type === "close") return void close();
  void (async () => {
    try {
      const handler = await loading;
      const value = await handler(request.event, lambdaContext(handlerName, 0, request));
      reply({ type: "result", id: request.id, value });
    } catch (error) {
      const { name = "Error", message = String(error), stack } = (error ?? {}) as Partial<Error>;
      reply({ type: "error", id: request.id, error: { name, message, stack } });
    }
  })();
});

/** Closes what the function's modules opened, then ends the thread (only this thread: see Worker's process.exit). */
async function close(): Promise<void> {
  await Promise.allSettled([closePool(), Promise.resolve().then(closeStore), Promise.resolve().then(closeSqs)]);
  process.exit(0);
}
