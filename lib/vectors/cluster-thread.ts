import { fileURLToPath } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { createClusterAccumulator } from "./cluster-fit";
import type { ClusterFit, ClusterFitOptions } from "./cluster-fit";
import { InvalidVectorsError } from "./errors";

/**
 * Marks a worker started by {@link startClusterThread}: set in its `workerData`, it tells this module's
 * top level to serve the clustering. The key is what a function bundle, loaded as that worker, checks.
 */
const THREAD_MARK = "cogzy:cluster-thread";

interface ThreadData {
  [THREAD_MARK]: { dim: number; options: ClusterFitOptions };
}

type Request = { kind: "add"; buffer: ArrayBuffer } | { kind: "fit" };
type Reply = { kind: "fitted"; fit: ClusterFit } | { kind: "failed"; error: { name: string; message: string; code?: string; details?: Record<string, unknown> } };

/** The two passes of {@link createClusterAccumulator} run on a thread of their own; see {@link startClusterThread}. */
export interface ClusterThread {
  /** Pass 1 for these rows (row-major, `dim` floats each), on the thread; they are copied, the caller keeps its array. */
  add(rows: Float32Array): void;
  /** Fits, then assigns every row added (pass 2), on the thread; the thread ends with it. */
  result(): Promise<ClusterFit>;
  /** Ends the thread without a result (the caller gave up). */
  stop(): Promise<void>;
}

/** Threads running now, so tests can end one midway as a crash would. */
export const runningClusterThreads = new Set<Worker>();

/**
 * Clusters rows on a worker thread (https://nodejs.org/api/worker_threads.html), with the same result as
 * {@link createClusterAccumulator}'s two passes over the same rows: the sample, the fit and the
 * assignment pass are pure CPU (seconds at 100k rows) that would otherwise hold the caller's thread,
 * and so everything queued behind it (files being completed, search segments), while a second core idles.
 *
 * The rows are kept on the thread for pass 2. A thread that fails or ends (an error in the rows, a
 * crash) fails `result()`, so the caller's work fails as a whole and is retried, as any error would.
 *
 * The worker runs the file this module is in: under `tsx` and vitest that is this TypeScript file
 * (Node strips its types, see https://nodejs.org/api/typescript.html, with a resolve hook for this
 * code's extensionless imports); in a bundle (the Lambda function, the local stack's handler threads)
 * it is the bundle, whose top level serves the thread when `workerData` carries {@link THREAD_MARK}.
 */
export function startClusterThread(dim: number, options: ClusterFitOptions = {}): ClusterThread {
  const file = fileURLToPath(import.meta.url);
  const data: ThreadData = { [THREAD_MARK]: { dim, options } };
  const execArgv = ["--disable-warning=ExperimentalWarning"];
  const worker = file.endsWith(".ts")
    ? new Worker(sourceBootstrap(import.meta.url), { eval: true, workerData: data, execArgv })
    : new Worker(file, { workerData: data, execArgv });
  runningClusterThreads.add(worker);
  let outcome: Promise<ClusterFit> | undefined;
  let settle: { resolve(fit: ClusterFit): void; reject(error: Error): void } | undefined;
  let failure: Error | undefined;
  const fail = (error: Error) => {
    failure ??= error;
    settle?.reject(failure);
    settle = undefined;
  };
  worker.on("message", (reply: Reply) => {
    if (reply.kind === "fitted") {
      settle?.resolve(reply.fit);
      settle = undefined;
    } else fail(fromReply(reply.error));
  });
  worker.on("error", fail);
  worker.on("exit", (code) => {
    runningClusterThreads.delete(worker);
    fail(new Error(`the clustering thread stopped (exit code ${code}) before its result`));
  });
  return {
    add(rows) {
      if (failure) return;
      // A copy the thread owns: the caller's rows may be a view into memory it still uses.
      const own = rows.slice();
      worker.postMessage({ kind: "add", buffer: own.buffer } satisfies Request, [own.buffer]);
    },
    result() {
      outcome ??= new Promise<ClusterFit>((resolve, reject) => {
        if (failure) return reject(failure);
        settle = { resolve, reject };
        worker.postMessage({ kind: "fit" } satisfies Request);
      }).finally(() => void worker.terminate());
      return outcome;
    },
    async stop() {
      worker.removeAllListeners("exit");
      runningClusterThreads.delete(worker);
      await worker.terminate();
    },
  };
}

/** True on a thread {@link startClusterThread} started: a function bundle loaded as one serves nothing else. */
export function isClusterThread(): boolean {
  return !isMainThread && typeof workerData === "object" && workerData !== null && THREAD_MARK in workerData;
}

/**
 * The worker's entry when this module runs from its TypeScript source: this code's imports name no
 * extension (tsx and bundlers add it), so a resolve hook (https://nodejs.org/api/module.html#registerhooksoptions)
 * retries a relative import that is not found with `.ts`, then the module is imported.
 */
function sourceBootstrap(url: string): string {
  return `
const { registerHooks } = require("node:module");
registerHooks({
  resolve(specifier, context, next) {
    try {
      return next(specifier, context);
    } catch (error) {
      if (error?.code !== "ERR_MODULE_NOT_FOUND" || !/^\\.\\.?\\//.test(specifier)) throw error;
      return next(specifier + ".ts", context);
    }
  },
});
import(${JSON.stringify(url)});
`;
}

function fromReply(error: Extract<Reply, { kind: "failed" }>["error"]): Error {
  if (error.code === "invalid_vectors") return new InvalidVectorsError(error.message, error.details);
  return Object.assign(new Error(`clustering failed: ${error.message}`), { name: error.name });
}

/** The thread's side: pass 1 as rows arrive, keeping them; on `fit`, the fit and pass 2, then the result. */
function serveClusterThread(port: NonNullable<typeof parentPort>, { dim, options }: ThreadData[typeof THREAD_MARK]): void {
  const pass1 = createClusterAccumulator(dim, options);
  const kept: Float32Array[] = [];
  let failed = false;
  port.on("message", (request: Request) => {
    if (failed) return;
    try {
      if (request.kind === "add") {
        const rows = new Float32Array(request.buffer);
        pass1.add(rows);
        kept.push(rows);
        return;
      }
      const pass2 = pass1.fit();
      for (const rows of kept.splice(0)) pass2.assign(rows);
      const fit = pass2.result();
      port.postMessage({ kind: "fitted", fit } satisfies Reply, [fit.assignments.buffer as ArrayBuffer, fit.sums.buffer as ArrayBuffer]);
    } catch (error) {
      failed = true;
      const { name = "Error", message = String(error), code, details } = (error ?? {}) as Partial<Error> & { code?: string; details?: Record<string, unknown> };
      port.postMessage({ kind: "failed", error: { name, message, code, details } } satisfies Reply);
    }
  });
}

if (isClusterThread()) serveClusterThread(parentPort!, (workerData as ThreadData)[THREAD_MARK]);
