import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import { startStack, type Stack, type StackOptions } from "../../local/stack";
import { apiClient } from "./api";

/**
 * Starts the same stack `npm start` runs, on free ports in a fresh temporary folder. One per test file:
 * configuration reaches handlers through this process's environment, as in a function.
 */
export async function startTestStack(options: Partial<StackOptions> = {}): Promise<Stack & { cleanup(): Promise<void> }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "cogzy-test-"));
  process.env.APP_ENV = "test";
  process.env.LOG_LEVEL ??= "silent";
  // Queue functions on threads as under `npm start`, one thread each: loading a function's modules
  // costs a thread ~2 s of CPU, and most files run a few small uploads.
  const stack = await startStack({ dataDir, port: 0, handlerThreads: 1, ...options });
  return {
    ...stack,
    async cleanup() {
      await stack.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * One stack for a test file: started before its tests, stopped after, with a database pool and an API
 * client ready. Read the fields inside tests (they are set once `beforeAll` has run).
 */
export function useTestStack(options: Partial<StackOptions> = {}) {
  const context = {} as { stack: Awaited<ReturnType<typeof startTestStack>>; db: pg.Pool; api: ReturnType<typeof apiClient> };
  beforeAll(async () => {
    context.stack = await startTestStack(options);
    context.db = new pg.Pool({ connectionString: context.stack.databaseUrl, max: 2 });
    context.api = apiClient(context.stack.apiUrl);
  });
  afterAll(async () => {
    await context.db?.end();
    await context.stack?.cleanup();
  });
  return context;
}
