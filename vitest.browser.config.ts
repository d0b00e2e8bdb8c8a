import { defineConfig } from "vitest/config";

/**
 * Browser tests: the page in Debian's Chromium (`apt-get install chromium`) against the whole local stack.
 * Kept out of `npm test`, which must not need a browser; run with `npm run test:browser`.
 */
export default defineConfig({
  test: {
    include: ["test/browser/**/*.browser.test.ts"],
    // The tests drive the built app (web/dist): built first when missing or older than its sources.
    globalSetup: ["test/browser/support/build-web.ts"],
    pool: "forks",
    // Each file boots Postgres, the S3/SQS emulator and Chromium: one file at a time on a 2-core machine.
    maxWorkers: 1,
    fileParallelism: false,
    execArgv: ["--disable-warning=ExperimentalWarning"],
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? "error" },
    // A poll waits on a page that refreshes after a server answer; 1 s (the default) is too short on a
    // machine shared by several test runs.
    expect: { poll: { timeout: 10_000 } },
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
