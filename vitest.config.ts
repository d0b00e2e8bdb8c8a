import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Browser and security suites have their own configs (npm run test:browser, npm run test:security).
    exclude: ["**/node_modules/**", "test/browser/**", "test/security/**"],
    // Integration suites each boot Postgres and the S3/SQS emulator; two at a time suits a 2-core machine.
    pool: "forks",
    maxWorkers: 2,
    execArgv: ["--disable-warning=ExperimentalWarning"],
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? "error" },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
