import { threadId } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { projectRoot } from "../../local/data-dir";
import { startEmbeddingStandIn } from "../../local/embedding-stand-in";
import { startHandlerThreads, type HandlerThreads } from "../../local/handler-threads";
import { lambdaContext } from "../../local/lambda-context";
import { uniqueEmail } from "../support/api";
import { chatgptExport, conversations } from "../support/exports";
import { expectConsistent, readVault, uploadBytes, waitForUpload } from "../support/ingest";
import { useTestStack } from "../support/stack";
import { queues as queueDefinitions } from "../../functions/manifest";

const FIXTURES = "test/support/thread-handlers";
type Described = Awaited<ReturnType<typeof import("../support/thread-handlers").describeInvocation>>;

/** The real pipeline on threads: embed invocations held in flight by a slow embedding API, then their thread dies. */
let standIn: Awaited<ReturnType<typeof startEmbeddingStandIn>>;
beforeAll(async () => {
  standIn = await startEmbeddingStandIn({ latencyMs: 300, apiKey: "test-key", vectors: "local" });
  Object.assign(process.env, { EMBEDDER_PROVIDER: "http", EMBEDDER_URL: standIn.url, EMBEDDER_API_KEY: "test-key", EMBEDDER_MODEL: "BAAI/bge-m3" });
});
afterAll(async () => {
  await standIn?.close();
});
// Two threads per function, as `npm start` runs them on two cores.
const ctx = useTestStack({ handlerThreads: 2 });

describe("the stack's queue functions on threads", { timeout: 120_000 }, () => {
  it("settles `loaded` once every queue function has loaded its threads: each embed thread, one for each other function", async () => {
    await ctx.stack.loaded;
    const stats = ctx.stack.handlerThreads!.stats();
    const handlers = Object.values(queueDefinitions).flatMap((queue) => [queue.consumer?.handler, queue.deadLetterHandler].filter((name): name is string => !!name));
    expect(handlers).toContain("functions/queues/embed-chunk.handler");
    for (const handler of handlers) expect(stats[handler], handler).toMatchObject({ loaded: handler === "functions/queues/embed-chunk.handler" ? 2 : 1, died: 0 });
  });

  it("retries the invocations of an embed thread that dies mid-invocation, losing and doubling no memory", async () => {
    const embed = "functions/queues/embed-chunk.handler";
    const { body } = await ctx.api.signUp(uniqueEmail("threads"));
    // 600 exchanges: three embed chunks of 256.
    const uploadId = await uploadBytes(ctx.api, body.token, "conversations.json", chatgptExport(conversations("thread", 200, 3)));
    await vi.waitFor(() => expect(ctx.stack.handlerThreads!.stats()[embed]?.inFlight).toBeGreaterThan(0), { timeout: 60_000, interval: 20 });
    await ctx.stack.handlerThreads!.crash(embed);

    const done = await waitForUpload(ctx.api, body.token, uploadId, 90_000);
    expect(done).toMatchObject({ status: "complete", nodes_created: 600 });
    const state = await readVault(ctx.db, body.user_id);
    expectConsistent(state);
    expect(state.nodes).toHaveLength(600);
    const stats = ctx.stack.handlerThreads!.stats();
    expect(stats[embed]!.died).toBeGreaterThan(0);
    expect(ctx.stack.pollers.embed!.stats().failed).toBeGreaterThan(0);
    // Each function ran on threads of its own.
    expect(stats["functions/queues/split-upload.handler"]!.started).toBeGreaterThan(0);
    expect(stats["functions/queues/merge-chunks.handler"]!.started).toBeGreaterThan(0);
  });
});

describe("handler threads", () => {
  let threads: HandlerThreads;
  beforeAll(() => {
    threads = startHandlerThreads({ root: projectRoot, threadsPerFunction: 2 });
  });
  afterAll(async () => {
    await threads?.stop();
  });
  const invoke = (handler: string, event: unknown, timeoutSeconds = 30, env?: Record<string, string>) =>
    threads.invoker(`${FIXTURES}.${handler}`, env)(event, lambdaContext(`${FIXTURES}.${handler}`, timeoutSeconds)) as Promise<Described>;

  it("runs a function off this thread with its invocation's context, on at most its share of threads", async () => {
    const context = lambdaContext("describe", 30);
    const alone = (await threads.invoker(`${FIXTURES}.describeInvocation`, { DATABASE_POOL_SIZE: "7" })({}, context)) as Described;
    expect(alone.threadId).not.toBe(threadId);
    expect(alone).toMatchObject({ functionName: `${FIXTURES}.describeInvocation`, requestId: context.awsRequestId, poolSize: "7" });
    expect(alone.remainingMs).toBeGreaterThan(25_000);
    expect(alone.remainingMs).toBeLessThanOrEqual(30_000);

    // Six at once: a second thread starts for the busy function, and no third.
    const together = await Promise.all(Array.from({ length: 6 }, () => invoke("describeInvocation", { waitMs: 200 })));
    expect(new Set(together.map((answer) => answer.threadId)).size).toBe(2);
    expect(threads.stats()[`${FIXTURES}.describeInvocation`]).toMatchObject({ threads: 2, started: 2, died: 0, inFlight: 0 });
  });

  it("warms as many threads as asked, up to the pool's size, before any invocation", async () => {
    const pool = startHandlerThreads({ root: projectRoot, threadsPerFunction: 2 });
    try {
      await Promise.all([pool.warm(`${FIXTURES}.describeInvocation`, {}, 3), pool.warm(`${FIXTURES}.refuse`)]);
      expect(pool.stats()[`${FIXTURES}.describeInvocation`]).toMatchObject({ threads: 2, started: 2, inFlight: 0 });
      expect(pool.stats()[`${FIXTURES}.refuse`]).toMatchObject({ threads: 1, started: 1 });
      // Both loaded threads take work at once; none is started for it.
      const run = () => pool.invoker(`${FIXTURES}.describeInvocation`)({ waitMs: 200 }, lambdaContext("describe", 30)) as Promise<Described>;
      const together = await Promise.all([run(), run()]);
      expect(new Set(together.map((answer) => answer.threadId)).size).toBe(2);
      expect(pool.stats()[`${FIXTURES}.describeInvocation`]).toMatchObject({ threads: 2, started: 2 });
    } finally {
      await pool.stop();
    }
  });

  it("gives a function's thread the young generation its NODE_OPTIONS names, as Lambda's runtime would", async () => {
    const withSemiSpace = (mb: number) =>
      threads.invoker(`${FIXTURES}.heapLimit`, { NODE_OPTIONS: `--max-semi-space-size=${mb}` })({}, lambdaContext(`${FIXTURES}.heapLimit`, 30)) as Promise<{ threadId: number; heapLimitMb: number }>;
    const small = await withSemiSpace(16);
    // A function's settings are fixed while its threads live (a deploy replaces them): a new thread takes the new one.
    await threads.crash(`${FIXTURES}.heapLimit`);
    const large = await withSemiSpace(64);
    expect(small.threadId).not.toBe(large.threadId);
    // Three semi-spaces make the young generation: 3 MiB more heap for each MiB more of semi-space.
    expect(large.heapLimitMb - small.heapLimitMb).toBe(3 * (64 - 16));
  });

  it("fails the invocation with the handler's error, and keeps the thread", async () => {
    await expect(invoke("refuse", {})).rejects.toThrow("this handler refuses every event");
    await expect(invoke("refuse", {})).rejects.toMatchObject({ name: "TypeError" });
    expect(threads.stats()[`${FIXTURES}.refuse`]).toMatchObject({ threads: 1, started: 1, died: 0 });
  });

  it("fails every invocation of a thread that dies, and runs the next on a new thread", async () => {
    const diedBefore = threads.stats()[`${FIXTURES}.describeInvocation`]!.died;
    const running = invoke("describeInvocation", { waitMs: 60_000 });
    await vi.waitFor(() => expect(threads.stats()[`${FIXTURES}.describeInvocation`]?.inFlight).toBe(1));
    const failed = expect(running).rejects.toThrow(/its thread ended/);
    await threads.crash(`${FIXTURES}.describeInvocation`);
    await failed;

    await expect(invoke("crashThread", {})).rejects.toThrow("uncaught in the handler's thread");
    expect(threads.stats()[`${FIXTURES}.crashThread`]).toMatchObject({ threads: 0, died: 1 });
    const after = await invoke("describeInvocation", {});
    expect(after.functionName).toBe(`${FIXTURES}.describeInvocation`);
    expect(threads.stats()[`${FIXTURES}.describeInvocation`]!.died).toBeGreaterThan(diedBefore);
  });

  it("starts new threads once the environment changes, as a function's instances are replaced when its configuration is", async () => {
    const before = await invoke("describeInvocation", {});
    process.env.THREAD_TEST_SETTING = "changed";
    try {
      const after = await invoke("describeInvocation", {});
      expect(before.setting).toBeNull();
      expect(after.setting).toBe("changed");
      expect(after.threadId).not.toBe(before.threadId);
    } finally {
      delete process.env.THREAD_TEST_SETTING;
    }
    // The replaced threads close once idle: only the current ones are left.
    await vi.waitFor(() => expect(threads.stats()[`${FIXTURES}.describeInvocation`]!.threads).toBe(1));
  });

  it("ends every thread on stop, failing what still runs", async () => {
    const pool = startHandlerThreads({ root: projectRoot, threadsPerFunction: 2 });
    const handler = pool.invoker(`${FIXTURES}.describeInvocation`);
    await handler({}, lambdaContext("x", 5));
    const running = expect(handler({ waitMs: 60_000 }, lambdaContext("x", 5))).rejects.toThrow(/its thread ended/);
    await pool.stop();
    await running;
    expect(pool.stats()[`${FIXTURES}.describeInvocation`]).toMatchObject({ threads: 0, inFlight: 0 });
    await expect(handler({}, lambdaContext("x", 5))).rejects.toThrow(/stopping/);
  });
});
