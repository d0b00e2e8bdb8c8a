import { defineConfig } from "vitest/config";

/**
 * `npm run test:security`: the standing security and reliability suite (authorization matrix, hostile
 * inputs, concurrency, faults), with the pipeline's crash and concurrency tests it builds on. The
 * test/security files are kept out of `npm test` because they are the slow part; CI runs both. A
 * route missing from the authorization matrix still fails `npm test` (test/unit/authorization-matrix).
 */
export default defineConfig({
  test: {
    include: [
      "test/security/**/*.test.ts",
      // The pipeline's own proofs, run here too (they also run in npm test): 20 concurrent uploads of
      // one file with the exact node count, overlapping uploads, and the stack SIGKILLed mid-pipeline
      // at each stage and restarted.
      "test/ingest/concurrent-uploads.test.ts",
      "test/ingest/overlapping-uploads.test.ts",
      "test/platform/kill-restart.test.ts",
    ],
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
