import { randomUUID } from "node:crypto";
import type { Context } from "aws-lambda";

/**
 * A Lambda `Context` for a local invocation, with the same deadline arithmetic as the real one.
 * `invocation` carries an invocation's deadline and id to another thread, which rebuilds its context.
 */
export function lambdaContext(functionName: string, timeoutSeconds: number, invocation?: { deadline: number; requestId: string }): Context {
  const deadline = invocation?.deadline ?? Date.now() + timeoutSeconds * 1000;
  const requestId = invocation?.requestId ?? randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: "1024",
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${requestId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Loads `path/to/file.export` (SST's handler notation) relative to the project root. */
export async function loadHandler<T>(root: string, handler: string): Promise<T> {
  const at = handler.lastIndexOf(".");
  const file = handler.slice(0, at);
  const exported = handler.slice(at + 1);
  const module = (await import(new URL(`${file}.ts`, `file://${root}/`).href)) as Record<string, unknown>;
  const fn = module[exported];
  if (typeof fn !== "function") throw new Error(`${handler}: no exported function "${exported}"`);
  return fn as T;
}
