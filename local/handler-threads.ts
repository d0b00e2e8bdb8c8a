import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Context } from "aws-lambda";
import { log } from "../lib/log";

/** What a handler thread is started with (`workerData`). */
export interface ThreadData {
  root: string;
  /** The function's handler in SST's notation, `path/to/file.export`. */
  handler: string;
}

export type ThreadRequest = { type: "invoke"; id: number; event: unknown; deadline: number; requestId: string } | { type: "close" };

export type ThreadReply =
  | { type: "loaded" }
  | { type: "result"; id: number; value: unknown }
  | { type: "error"; id: number; error: { name: string; message: string; stack?: string } };

export interface FunctionThreadStats {
  /** Threads running the function now. */
  threads: number;
  /** Threads started for it so far (a changed environment or a dead thread starts new ones). */
  started: number;
  /** Threads that ended unexpectedly (an uncaught error, a crash), failing their invocations. */
  died: number;
  inFlight: number;
}

export interface HandlerThreads {
  /**
   * Runs `handler` (manifest notation) on this pool's threads, with the invocation's event and the
   * deadline and request id of its context. `env` is added to the threads' environment (their
   * database pool size, say).
   */
  invoker(handler: string, env?: Record<string, string>): (event: unknown, context: Context) => Promise<unknown>;
  /**
   * Starts a thread for `handler` now if it has none, so its first invocation does not wait for the
   * thread to load the function's modules (a cold start: seconds under `tsx`). Resolves once loaded.
   */
  warm(handler: string, env?: Record<string, string>): Promise<void>;
  stats(): Record<string, FunctionThreadStats>;
  /** Ends `handler`'s threads at once, as a crashed runtime: their invocations fail (tests). */
  crash(handler: string): Promise<void>;
  /** Ends every thread, after asking each to close its connections. Invocations still running fail. */
  stop(): Promise<void>;
}

interface Thread {
  worker: Worker;
  /** The parent's environment the thread was started with: a changed one means new threads. */
  envKey: string;
  calls: Map<number, { resolve(value: unknown): void; reject(error: Error): void }>;
  /** Resolves once the thread has loaded the function's module (or failed to), or has ended. */
  loaded: Promise<void>;
  exited: Promise<void>;
}

interface FunctionThreads {
  live: Thread[];
  stats: { started: number; died: number };
}

const threadFile = fileURLToPath(new URL("./handler-thread.ts", import.meta.url));

/** How long a closing thread may take to close its connections before it is terminated. */
const CLOSE_GRACE_MS = 5_000;

/**
 * Queue handlers on worker threads (https://nodejs.org/api/worker_threads.html), so that the
 * functions' own CPU work (parsing, embedding, merging) runs on every core instead of on the API's
 * thread. Each function gets threads of its own, as each Lambda function has its own instances: at
 * most `threadsPerFunction`, started when every existing one is busy, each loading the function's
 * module itself. An invocation goes to the function's least busy thread.
 *
 * Lambda's contract holds across the thread boundary: an error thrown by the handler fails the
 * invocation; a thread that ends mid-invocation (an uncaught error, `crash`) fails every invocation it
 * was running, as a crashed runtime does, and the next invocation starts a new thread. A thread's
 * configuration is the environment it started with, as a function instance's is: once this process's
 * environment changes (a test pointing the functions elsewhere), new invocations go to new threads and
 * the old ones end when their invocations have.
 */
export function startHandlerThreads(options: { root: string; threadsPerFunction: number }): HandlerThreads {
  const functions = new Map<string, FunctionThreads>();
  const closing = new Set<Thread>();
  let nextId = 0;
  let stopped = false;
  // The threads' TypeScript loader: the one this process already runs under (`npm start`, `tsx`),
  // else tsx's (vitest transforms only its own process's modules).
  const execArgv = process.execArgv.some((argument) => argument.includes("tsx"))
    ? process.execArgv
    : [...process.execArgv, "--import", import.meta.resolve("tsx")];

  const groupOf = (handler: string) => {
    let group = functions.get(handler);
    if (!group) functions.set(handler, (group = { live: [], stats: { started: 0, died: 0 } }));
    return group;
  };

  const close = (thread: Thread) => {
    closing.add(thread);
    thread.worker.postMessage({ type: "close" } satisfies ThreadRequest);
    const timer = setTimeout(() => void thread.worker.terminate(), CLOSE_GRACE_MS);
    void thread.exited.then(() => clearTimeout(timer));
  };

  const start = (handler: string, env: Record<string, string>, envKey: string): Thread => {
    const group = groupOf(handler);
    const worker = new Worker(threadFile, {
      workerData: { root: options.root, handler } satisfies ThreadData,
      env: { ...process.env, ...env },
      execArgv,
      name: handler,
    });
    const calls: Thread["calls"] = new Map();
    let failure: Error | undefined;
    let markLoaded = () => undefined as void;
    const loaded = new Promise<void>((resolve) => (markLoaded = resolve));
    worker.on("message", (reply: ThreadReply) => {
      if (reply.type === "loaded") return markLoaded();
      const call = calls.get(reply.id);
      calls.delete(reply.id);
      if (reply.type === "result") return call?.resolve(reply.value);
      call?.reject(Object.assign(new Error(reply.error.message), { name: reply.error.name, stack: reply.error.stack }));
    });
    worker.on("error", (error) => {
      failure = error;
      log.error("a handler thread ended with an uncaught error", { function: handler, error });
    });
    const exited = new Promise<void>((resolve) =>
      worker.once("exit", (code) => {
        const expected = closing.delete(thread) && !failure;
        if (!expected) group.stats.died += 1;
        group.live = group.live.filter((other) => other !== thread);
        const ended = failure ?? new Error(`${handler}: its thread ended (exit code ${code}) during the invocation`);
        for (const call of calls.values()) call.reject(ended);
        calls.clear();
        markLoaded();
        resolve();
      }),
    );
    const thread: Thread = { worker, envKey, calls, loaded, exited };
    group.live.push(thread);
    group.stats.started += 1;
    return thread;
  };

  /** The function's least busy thread with the current environment; a new one when all are busy and there is room. */
  const pick = (handler: string, env: Record<string, string>): Thread => {
    const group = groupOf(handler);
    const envKey = JSON.stringify(process.env);
    for (const stale of group.live.filter((thread) => thread.envKey !== envKey)) {
      group.live = group.live.filter((thread) => thread !== stale);
      if (stale.calls.size === 0) close(stale);
      else closing.add(stale);
    }
    let best: Thread | undefined;
    for (const thread of group.live) if (!best || thread.calls.size < best.calls.size) best = thread;
    if (!best || (best.calls.size > 0 && group.live.length < options.threadsPerFunction)) best = start(handler, env, envKey);
    return best;
  };

  const invoke = (handler: string, env: Record<string, string>, event: unknown, context: Context): Promise<unknown> => {
    if (stopped) return Promise.reject(new Error(`${handler}: the stack is stopping`));
    const thread = pick(handler, env);
    const id = (nextId += 1);
    const settled = new Promise<unknown>((resolve, reject) => thread.calls.set(id, { resolve, reject }));
    thread.worker.postMessage({
      type: "invoke",
      id,
      event,
      deadline: Date.now() + context.getRemainingTimeInMillis(),
      requestId: context.awsRequestId ?? randomUUID(),
    } satisfies ThreadRequest);
    // A thread retired for a changed environment closes once its last invocation is done.
    return settled.finally(() => {
      if (closing.has(thread) && thread.calls.size === 0 && !stopped) close(thread);
    });
  };

  const everyThread = () => [...[...functions.values()].flatMap((group) => group.live), ...closing];

  return {
    invoker: (handler, env = {}) => (event, context) => invoke(handler, env, event, context),
    async warm(handler, env = {}) {
      if (stopped) return;
      const group = groupOf(handler);
      await (group.live[0] ?? start(handler, env, JSON.stringify(process.env))).loaded;
    },
    stats: () =>
      Object.fromEntries(
        [...functions].map(([handler, group]) => [
          handler,
          { threads: group.live.length, ...group.stats, inFlight: group.live.reduce((sum, thread) => sum + thread.calls.size, 0) },
        ]),
      ),
    async crash(handler) {
      const threads = functions.get(handler)?.live ?? [];
      await Promise.all(threads.map((thread) => thread.worker.terminate()));
    },
    async stop() {
      stopped = true;
      const threads = everyThread();
      for (const thread of threads) close(thread);
      await Promise.all(threads.map((thread) => thread.exited));
    },
  };
}
