/**
 * Handlers for test/platform/handler-threads.test.ts, loaded by the stack's handler threads the way a
 * function's module is (`test/support/thread-handlers.<export>`).
 */
import v8 from "node:v8";
import { setTimeout as sleep } from "node:timers/promises";
import { threadId } from "node:worker_threads";
import type { Context } from "aws-lambda";

/** What a function instance sees: its thread, its context, its environment. */
export async function describeInvocation(event: { waitMs?: number }, context: Context) {
  if (event.waitMs) await sleep(event.waitMs);
  return {
    threadId,
    functionName: context.functionName,
    requestId: context.awsRequestId,
    remainingMs: context.getRemainingTimeInMillis(),
    setting: process.env.THREAD_TEST_SETTING ?? null,
    poolSize: process.env.DATABASE_POOL_SIZE ?? null,
  };
}

/** The thread's heap limit, which its young generation is part of. */
export async function heapLimit() {
  return { threadId, heapLimitMb: v8.getHeapStatistics().heap_size_limit / 1024 / 1024 };
}

export async function refuse(): Promise<never> {
  throw new TypeError("this handler refuses every event");
}

/** Crashes its thread (an uncaught error outside the invocation's promise), as a runtime crash would. */
export async function crashThread(): Promise<never> {
  setImmediate(() => {
    throw new Error("uncaught in the handler's thread");
  });
  return new Promise<never>(() => undefined);
}
