import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startStack, type Stack, type StackOptions } from "../../local/stack";

/**
 * Starts the same stack `npm start` runs, on free ports in a fresh temporary folder. One per test file:
 * configuration reaches handlers through this process's environment, as in a function.
 */
export async function startTestStack(options: Partial<StackOptions> = {}): Promise<Stack & { cleanup(): Promise<void> }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "cogzy-test-"));
  process.env.APP_ENV = "test";
  process.env.LOG_LEVEL ??= "silent";
  const stack = await startStack({ dataDir, port: 0, ...options });
  return {
    ...stack,
    async cleanup() {
      await stack.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
