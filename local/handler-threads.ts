import { createHash, randomUUID } from "node:crypto";
import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker, type ResourceLimits } from "node:worker_threads";
import type { Context } from "aws-lambda";
import { build } from "esbuild";
import { log } from "../lib/log";

/** `remainingMs` of the invocation's timeout counts from when the thread starts it: like Lambda's init phase, a thread's load is not in it. */
export type ThreadRequest = { type: "invoke"; id: number; event: unknown; remainingMs: number; requestId: string } | { type: "close" };

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
  /** Threads started so far that have loaded the function's modules. */
  loaded: number;
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
   * Starts threads for `handler` now until it has `threads` of them (one by default, at most the pool's
   * size), so its first invocations do not wait for a thread to load the function's modules (a cold
   * start: seconds under `tsx`). Resolves once they are loaded.
   */
  warm(handler: string, env?: Record<string, string>, threads?: number): Promise<void>;
  stats(): Record<string, FunctionThreadStats>;
  /** Ends `handler`'s threads at once, as a crashed runtime: their invocations fail (tests). */
  crash(handler: string): Promise<void>;
  /** Ends every thread, after asking each to close its connections. Invocations still running fail. */
  stop(): Promise<void>;
}

interface Thread {
  /** Posts to the thread (held until its worker exists: the function's bundle is built first). */
  post(message: ThreadRequest): void;
  terminate(): void;
  /** The parent's environment the thread was started with: a changed one means new threads. */
  envKey: string;
  calls: Map<number, { resolve(value: unknown): void; reject(error: Error): void }>;
  /** Resolves once the thread has loaded the function's module (or failed to), or has ended. */
  loaded: Promise<void>;
  exited: Promise<void>;
}

interface FunctionThreads {
  live: Thread[];
  stats: { started: number; died: number; loaded: number };
}

const threadRuntime = fileURLToPath(new URL("./handler-thread.ts", import.meta.url));

/**
 * One ES module per function: the thread runtime and the function's own code, bundled by esbuild with
 * every package left to Node (`packages: "external"`). A thread then loads plain JavaScript: loading
 * the TypeScript through tsx's loader in each thread cost ~2 s of CPU, ten times this. The file goes
 * under node_modules/ two levels below the project root, so `import.meta.url` arithmetic in the code
 * (the migrations folder) and package resolution (USearch's path for the graph worker) land where they
 * do from the sources. Named by its content, written by rename: concurrent stacks share it safely.
 */
async function bundleFunction(root: string, handler: string): Promise<string> {
  const at = handler.lastIndexOf(".");
  const source = path.join(root, `${handler.slice(0, at)}.ts`);
  const entry = [
    `import { runHandlerThread } from ${JSON.stringify(threadRuntime)};`,
    `import * as fn from ${JSON.stringify(source)};`,
    `runHandlerThread(fn[${JSON.stringify(handler.slice(at + 1))}], ${JSON.stringify(handler)});`,
  ].join("\n");
  const result = await build({
    stdin: { contents: entry, resolveDir: root, sourcefile: `${handler}.thread.ts`, loader: "ts" },
    bundle: true,
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node22",
    keepNames: true,
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles[0]!.contents;
  const dir = path.join(root, "node_modules", ".cogzy-handler-threads");
  const file = path.join(dir, `${createHash("sha256").update(code).digest("hex").slice(0, 20)}.mjs`);
  await mkdir(dir, { recursive: true });
  const partial = `${file}.${process.pid}.${randomUUID()}`;
  await writeFile(partial, code);
  await rename(partial, file);
  return file;
}

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
  const bundles = new Map<string, Promise<string>>();
  let nextId = 0;
  let stopped = false;

  const groupOf = (handler: string) => {
    let group = functions.get(handler);
    if (!group) functions.set(handler, (group = { live: [], stats: { started: 0, died: 0, loaded: 0 } }));
    return group;
  };

  const close = (thread: Thread) => {
    closing.add(thread);
    thread.post({ type: "close" });
    const timer = setTimeout(() => thread.terminate(), CLOSE_GRACE_MS);
    void thread.exited.then(() => clearTimeout(timer));
  };

  const start = (handler: string, env: Record<string, string>, envKey: string): Thread => {
    const group = groupOf(handler);
    let bundle = bundles.get(handler);
    if (!bundle) bundles.set(handler, (bundle = bundleFunction(options.root, handler)));
    const calls: Thread["calls"] = new Map();
    let failure: Error | undefined;
    let worker: Worker | undefined;
    let terminated = false;
    const held: ThreadRequest[] = [];
    let markLoaded = () => undefined as void;
    const loaded = new Promise<void>((resolve) => (markLoaded = resolve));
    let markExited = () => undefined as void;
    const exited = new Promise<void>((resolve) => (markExited = resolve));
    const ended = (code: number | undefined) => {
      const expected = closing.delete(thread) && !failure;
      if (!expected) group.stats.died += 1;
      group.live = group.live.filter((other) => other !== thread);
      const error = failure ?? new Error(`${handler}: its thread ended (${code === undefined ? "before it started" : `exit code ${code}`}) during the invocation`);
      for (const call of calls.values()) call.reject(error);
      calls.clear();
      markLoaded();
      markExited();
    };
    const thread: Thread = {
      envKey,
      calls,
      loaded,
      exited,
      post: (message) => (worker ? worker.postMessage(message) : held.push(message)),
      terminate: () => {
        terminated = true;
        void worker?.terminate();
      },
    };
    void bundle.then(
      (file) => {
        if (terminated) return ended(undefined);
        worker = new Worker(file, { env: { ...process.env, ...env }, execArgv: threadExecArgv(), name: handler, resourceLimits: threadResourceLimits(env.NODE_OPTIONS) });
        for (const message of held.splice(0)) worker.postMessage(message);
        worker.on("message", (reply: ThreadReply) => {
          if (reply.type === "loaded") {
            group.stats.loaded += 1;
            return markLoaded();
          }
          const call = calls.get(reply.id);
          calls.delete(reply.id);
          if (reply.type === "result") return call?.resolve(reply.value);
          call?.reject(Object.assign(new Error(reply.error.message), { name: reply.error.name, stack: reply.error.stack }));
        });
        worker.on("error", (error) => {
          failure = error;
          log.error("a handler thread ended with an uncaught error", { function: handler, error });
        });
        worker.once("exit", ended);
      },
      (error: Error) => {
        failure = error;
        log.error("a handler thread could not be built", { function: handler, error });
        bundles.delete(handler);
        ended(undefined);
      },
    );
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
    thread.post({
      type: "invoke",
      id,
      event,
      remainingMs: context.getRemainingTimeInMillis(),
      requestId: context.awsRequestId ?? randomUUID(),
    });
    // A thread retired for a changed environment closes once its last invocation is done.
    return settled.finally(() => {
      if (closing.has(thread) && thread.calls.size === 0 && !stopped) close(thread);
    });
  };

  const everyThread = () => [...[...functions.values()].flatMap((group) => group.live), ...closing];

  return {
    invoker: (handler, env = {}) => (event, context) => invoke(handler, env, event, context),
    async warm(handler, env = {}, threads = 1) {
      if (stopped) return;
      const group = groupOf(handler);
      const envKey = JSON.stringify(process.env);
      while (group.live.length < Math.min(threads, options.threadsPerFunction)) start(handler, env, envKey);
      await Promise.all(group.live.map((thread) => thread.loaded));
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
      for (const thread of threads) thread.terminate();
      await Promise.all(threads.map((thread) => thread.exited));
    },
    async stop() {
      stopped = true;
      const threads = everyThread();
      for (const thread of threads) close(thread);
      await Promise.all(threads.map((thread) => thread.exited));
    },
  };
}

/**
 * What a handler thread takes of its function's NODE_OPTIONS (functions/manifest.ts, `nodeOptions`):
 * V8 options are the process's, so a thread gets the young generation `--max-semi-space-size` names
 * through its own resource limits instead, three semi-spaces
 * (https://nodejs.org/api/cli.html#--max-semi-space-sizesize-in-mib, https://nodejs.org/api/worker_threads.html#new-workerfilename-options).
 */
export function threadResourceLimits(nodeOptions: string | undefined): ResourceLimits | undefined {
  const semiSpace = /(?:^|\s)--max-semi-space-size=(\d+)(?:\s|$)/.exec(nodeOptions ?? "");
  return semiSpace ? { maxYoungGenerationSizeMb: 3 * Number(semiSpace[1]) } : undefined;
}

/**
 * Node flags of a handler thread. `HANDLER_THREAD_CPU_PROF_DIR` writes a V8 CPU profile of every
 * handler thread there when it ends (`--cpu-prof` given to the stack's process reaches only its main
 * thread): https://nodejs.org/api/cli.html#--cpu-prof, https://nodejs.org/api/worker_threads.html#new-workerfilename-options
 */
function threadExecArgv(): string[] {
  const profiles = process.env.HANDLER_THREAD_CPU_PROF_DIR;
  return ["--disable-warning=ExperimentalWarning", ...(profiles ? ["--cpu-prof", `--cpu-prof-dir=${profiles}`] : [])];
}

