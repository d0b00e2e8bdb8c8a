import { fileURLToPath } from "node:url";
import nodeModule from "node:module";
import os from "node:os";
import { isMainThread, MessageChannel, parentPort, Worker, workerData, type MessagePort } from "node:worker_threads";
import { createClusterAccumulator, createRangeAssigner, finishFit } from "./cluster-fit";
import type { ClusterFit, ClusterFitOptions, FittedModel, RangeAssigner } from "./cluster-fit";
import { InvalidVectorsError } from "./errors";

/**
 * Marks a worker started by {@link startClusterThread}: set in its `workerData`, it tells this module's
 * top level to serve the clustering. The key is what a function bundle, loaded as that worker, checks.
 */
const THREAD_MARK = "cogzy:cluster-thread";

/**
 * `sample` gets every row (pass 1), keeps those before `splitAt` for pass 2 and hands the rest to its
 * `peer`, the `rest` thread, which assigns them at the same time as `sample` assigns its own.
 */
type Role = { role: "sample"; splitAt: number; peer?: MessagePort } | { role: "rest"; peer: MessagePort };

interface ThreadData {
  [THREAD_MARK]: { dim: number; options: ClusterFitOptions } & Role;
}

type Request = { kind: "add"; buffer: ArrayBuffer } | { kind: "fit" };
type Failure = { name: string; message: string; code?: string; details?: Record<string, unknown> };
type Reply = { kind: "fitted"; fit: ClusterFit } | { kind: "failed"; error: Failure };
/** Between the two threads: rows for the second, the fit and the first part's sums to it; its part back. */
type PeerMessage =
  | { kind: "rows"; buffer: ArrayBuffer }
  | { kind: "model"; fitted: FittedModel; first: number }
  | { kind: "sums"; sums: Float64Array }
  | { kind: "assigned"; assignments: Int32Array; scores: Float32Array; sums: Float64Array; count: number }
  | { kind: "failed"; error: Failure };

/** From this many rows the assignment pass is split between two threads (when there are two cores). */
const SPLIT_MIN_ROWS = 8192;

/** The two passes of {@link createClusterAccumulator} run on threads of their own; see {@link startClusterThread}. */
export interface ClusterThread {
  /** Pass 1 for these rows (row-major, `dim` floats each), on the thread; they are copied, the caller keeps its array. */
  add(rows: Float32Array): void;
  /** Fits, then assigns every row added (pass 2), on the threads; they end with it. */
  result(): Promise<ClusterFit>;
  /** Ends the threads without a result (the caller gave up). */
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
 * The rows are kept on the thread for pass 2. With `expectedRows` of {@link SPLIT_MIN_ROWS} or more
 * (or `split`), a second thread keeps the rows after the first half (`expectedRows / 2`) and assigns
 * them while the first assigns its own: the fit is done once, the assignment pass (linear in the rows)
 * takes half the time, and the clusters' sums are still added in row order, so the result is the same.
 * A thread that fails or ends (an error in the rows, a crash) fails `result()`, so the caller's work
 * fails as a whole and is retried, as any error would.
 *
 * The worker runs the file this module is in: under `tsx` and vitest that is this TypeScript file
 * (Node strips its types, see https://nodejs.org/api/typescript.html, with a resolve hook for this
 * code's extensionless imports); in a bundle (the Lambda function, the local stack's handler threads)
 * it is the bundle, whose top level serves the thread when `workerData` carries {@link THREAD_MARK}.
 */
export function startClusterThread(dim: number, options: ClusterFitOptions = {}, threads: { split?: boolean } = {}): ClusterThread {
  const expected = options.expectedRows ?? 0;
  const split = threads.split ?? (expected >= SPLIT_MIN_ROWS && os.availableParallelism() > 1);
  const channel = split ? new MessageChannel() : undefined;
  const worker = startWorker({ dim, options, role: "sample", splitAt: split ? Math.ceil(expected / 2) : Infinity, peer: channel?.port1 });
  const rest = channel ? startWorker({ dim, options, role: "rest", peer: channel.port2 }) : undefined;
  const workers = rest ? [worker, rest] : [worker];
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
  for (const each of workers) {
    each.on("error", fail);
    each.on("exit", (code) => {
      runningClusterThreads.delete(each);
      fail(new Error(`the clustering thread stopped (exit code ${code}) before its result`));
    });
  }
  const terminate = async () => {
    for (const each of workers) {
      each.removeAllListeners("exit");
      runningClusterThreads.delete(each);
    }
    await Promise.all(workers.map((each) => each.terminate()));
  };
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
      }).finally(() => void terminate());
      return outcome;
    },
    stop: terminate,
  };
}

function startWorker(data: ThreadData[typeof THREAD_MARK]): Worker {
  const file = fileURLToPath(import.meta.url);
  const workerData: ThreadData = { [THREAD_MARK]: data };
  const options = { workerData, transferList: data.peer ? [data.peer] : [], execArgv: ["--disable-warning=ExperimentalWarning"] };
  const worker = file.endsWith(".ts") ? new Worker(sourceBootstrap(import.meta.url), { ...options, eval: true }) : new Worker(file, options);
  runningClusterThreads.add(worker);
  return worker;
}

/**
 * Whether {@link startClusterThread} can start its threads here: always from a bundle; from the
 * TypeScript source only where Node strips types and has synchronous module hooks (Node 22.18 and
 * later, as `npm` scripts run), not under an older `node` on the PATH.
 */
export function clusterThreadsAvailable(): boolean {
  if (!fileURLToPath(import.meta.url).endsWith(".ts")) return true;
  return Boolean((process.features as { typescript?: unknown }).typescript) && typeof (nodeModule as { registerHooks?: unknown }).registerHooks === "function";
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

function failureOf(error: unknown): Failure {
  const { name = "Error", message = String(error), code, details } = (error ?? {}) as Partial<Error> & { code?: string; details?: Record<string, unknown> };
  return { name, message, code, details };
}

/**
 * The `sample` thread: pass 1 as rows arrive, keeping its part of them; on `fit`, the fit, pass 2 over
 * its part (while the `rest` thread assigns the other), then the result. The clusters' sums are added in
 * row order across both parts, so the result is the one pass 2 on one thread gives.
 */
function serveSample(port: MessagePort, dim: number, options: ClusterFitOptions, splitAt: number, peer: MessagePort | undefined): void {
  const pass1 = createClusterAccumulator(dim, options);
  const kept: Float32Array[] = [];
  let seen = 0;
  let failed = false;
  let mine: { fitted: FittedModel; range: RangeAssigner; count: number } | undefined;
  const fail = (error: Failure) => {
    failed = true;
    port.postMessage({ kind: "failed", error } satisfies Reply);
  };
  port.on("message", (request: Request) => {
    if (failed) return;
    try {
      if (request.kind === "add") {
        const rows = new Float32Array(request.buffer);
        pass1.add(rows);
        // The sample copies the rows it keeps: rows past the split can go to the other thread as they are.
        if (peer && seen >= splitAt) peer.postMessage({ kind: "rows", buffer: request.buffer } satisfies PeerMessage, [request.buffer]);
        else kept.push(rows);
        seen += rows.length / dim;
        return;
      }
      const fitted = pass1.fitModel();
      const count = kept.reduce((rows, block) => rows + block.length / dim, 0);
      peer?.postMessage({ kind: "model", fitted, first: count } satisfies PeerMessage);
      const range = createRangeAssigner(fitted, 0, count);
      for (const rows of kept) range.assign(rows);
      const sums = new Float64Array(fitted.model.k * dim);
      range.addToSums(sums, kept.splice(0));
      if (!peer) {
        const fit = finishFit(fitted, range.assignments, range.scores, sums, count);
        return void port.postMessage({ kind: "fitted", fit } satisfies Reply, transfers(fit));
      }
      mine = { fitted, range, count };
      peer.postMessage({ kind: "sums", sums } satisfies PeerMessage, [sums.buffer]);
    } catch (error) {
      fail(failureOf(error));
    }
  });
  peer?.on("message", (message: PeerMessage) => {
    if (failed) return;
    if (message.kind === "failed") return fail(message.error);
    if (message.kind !== "assigned" || !mine) return;
    try {
      const { fitted, range, count } = mine;
      const assignments = new Int32Array(count + message.assignments.length);
      assignments.set(range.assignments);
      assignments.set(message.assignments, count);
      const scores = new Float32Array(assignments.length);
      scores.set(range.scores);
      scores.set(message.scores, count);
      const fit = finishFit(fitted, assignments, scores, message.sums, count + message.count);
      port.postMessage({ kind: "fitted", fit } satisfies Reply, transfers(fit));
    } catch (error) {
      fail(failureOf(error));
    }
  });
}

/** The `rest` thread: keeps the rows past the split; given the fit, assigns them; given the first part's sums, adds its rows to them. */
function serveRest(peer: MessagePort, dim: number): void {
  const kept: Float32Array[] = [];
  let range: RangeAssigner | undefined;
  let count = 0;
  peer.on("message", (message: PeerMessage) => {
    try {
      if (message.kind === "rows") kept.push(new Float32Array(message.buffer));
      else if (message.kind === "model") {
        count = kept.reduce((rows, block) => rows + block.length / dim, 0);
        range = createRangeAssigner(message.fitted, message.first, message.fitted.rows - message.first);
        for (const rows of kept) range.assign(rows);
      } else if (message.kind === "sums" && range) {
        range.addToSums(message.sums, kept.splice(0));
        const { assignments, scores } = range;
        peer.postMessage({ kind: "assigned", assignments, scores, sums: message.sums, count } satisfies PeerMessage, [assignments.buffer, scores.buffer, message.sums.buffer] as ArrayBuffer[]);
      }
    } catch (error) {
      peer.postMessage({ kind: "failed", error: failureOf(error) } satisfies PeerMessage);
    }
  });
}

function transfers(fit: ClusterFit): ArrayBuffer[] {
  return [fit.assignments.buffer as ArrayBuffer, fit.sums.buffer as ArrayBuffer];
}

if (isClusterThread()) {
  const data = (workerData as ThreadData)[THREAD_MARK];
  if (data.role === "sample") serveSample(parentPort!, data.dim, data.options, data.splitAt, data.peer);
  else serveRest(data.peer, data.dim);
}
