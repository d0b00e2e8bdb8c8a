import { defineConfig } from "vitest/config";

/**
 * `npm run test:security`: the standing security and reliability suite (authorization matrix, hostile
 * inputs, concurrency, faults). Kept out of `npm test` because it is the slow part; CI runs both. A
 * route missing from the authorization matrix still fails `npm test` (test/unit/authorization-matrix).
 */
export default defineConfig({
  test: {
    include: ["test/security/**/*.test.ts"],
    pool: "forks",
    // Each file boots Postgres and the S3/SQS emulator, and the concurrency tests load both cores.
    maxWorkers: 1,
    fileParallelism: false,
    execArgv: ["--disable-warning=ExperimentalWarning"],
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? "error" },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
