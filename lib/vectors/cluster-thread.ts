import { Worker } from "node:worker_threads";
import type { ClusterFit } from "./cluster-fit";
import { CLUSTER_WORKER_SOURCE } from "./cluster-worker.generated";

/** A file in the store, readable at `url` (presigned). */
export interface SampleSource {
  /** Its key, for messages. */
  name: string;
  url: string;
}

/** What the thread starts with (lib/vectors/cluster-worker-main.ts). */
export interface ClusterThreadData extends Partial<ClusterCount> {
  dim: number;
  /** Rows the fit is made on: the sample files' rows of lowest priority. */
  sampleSize: number;
  /** Sample files (lib/vectors/sample-file.ts), in the order of the rows they sample. */
  samples: SampleSource[];
}

/** The clusters to fit and the rows to assign: given at the start, or later ({@link ClusterThread.fit}). */
export interface ClusterCount {
  k: number;
  /** Rows it will be sent to assign. */
  rows: number;
}

/**
 * Rows in the store, bytes [start, end) of the file at `url` (presigned): little-endian float32, `dim`
 * per row, as a chunk's .npy holds them after its header.
 */
export interface StoredRows extends SampleSource {
  start: number;
  end: number;
}

/**
 * What the clustering thread is sent: rows to assign, in order (given, or where in the store it reads
 * them), then the request for the result.
 */
export type ClusterRequest = ({ kind: "fit" } & ClusterCount) | { kind: "assign"; rows: Float32Array } | { kind: "assign-stored"; rows: StoredRows } | { kind: "result" };
/** What it answers: each block of rows assigned, the result, or why it could not. */
export type ClusterReply = { kind: "took" } | { kind: "result"; fit: ClusterFit } | { kind: "failed"; name: string; message: string };

/**
 * Blocks of rows sent to assign and not yet assigned: they wait while the thread fits (a merge's first
 * second or two), so this bounds the vectors held for it (16 MiB a block at most: 4,096 rows of 1,024
 * floats). Blocks the thread reads from the store hold no vectors while they wait, so they are not
 * counted: a merge passes them on without waiting for the fit (for 100k exchanges, whose fit took
 * ~2.6 s, it had waited 1.3 s for room).
 */
const BLOCKS_QUEUED = 32;

/** A clustering on a thread of its own: the rows to assign go in as they pass, the fit comes out. */
export interface ClusterThread {
  /**
   * The clusters to fit and the rows to assign, for a thread started without them: it reads the samples
   * meanwhile, and fits once it has both. Given once, before {@link result}.
   */
  fit(count: ClusterCount): void;
  /**
   * The next rows to assign, in order; resolves once there is room for more. Copied, unless `giveAway`:
   * the caller never reads them (or anything else in their buffer) again, so the buffer moves to the thread.
   */
  assign(rows: Float32Array, giveAway?: boolean): Promise<void>;
  /**
   * The next rows to assign, read by the thread from the store: rows the merge has the store copy into
   * the version need not pass through the merge's thread at all. Resolves at once: nothing is held for it.
   */
  assignStored(rows: StoredRows): Promise<void>;
  /** Once every row is sent: the fit, as the in-thread clustering (lib/vectors/cluster-fit.ts) gives it. */
  result(): Promise<ClusterFit>;
  /** Ends the thread at any point (a failed merge stops it too); anything still waiting on it fails with `reason`. */
  stop(reason?: Error): Promise<void>;
}

/**
 * The clustering of lib/vectors/cluster-fit.ts on a thread of its own, fitted on a sample that is there
 * before the rows are: a large upload's embed workers write one per chunk (lib/vectors/sample-file.ts).
 * The thread reads the samples and fits while the merge starts writing the version, then assigns each
 * block of rows as the merge passes it on. The clustering's seconds of dot products then cost the
 * merge's thread nothing, no vectors are kept for a second pass, and none of it is left to do once the
 * last row is written: it runs on the function's other core (Lambda gives a function of more than
 * 1,769 MB more than one vCPU: https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html).
 * Started without `k` and `rows`, it reads the samples until it is given them ({@link ClusterThread.fit}):
 * a merge starts it before its plan has said how many rows the version adds.
 */
export function startClusterThread(data: ClusterThreadData): ClusterThread {
  // Plain CommonJS run with `eval` (https://nodejs.org/api/worker_threads.html#new-workerfilename-options):
  // no worker file to ship beside the bundled function.
  const worker = new Worker(CLUSTER_WORKER_SOURCE, { eval: true, workerData: data });
  let broken: Error | undefined;
  let stopped = false;
  /** Blocks of rows held for the thread ({@link BLOCKS_QUEUED}), and of every block sent, whether it is one. */
  let queued = 0;
  const holding: boolean[] = [];
  let roomWaiters: (() => void)[] = [];
  let answer: { resolve(fit: ClusterFit): void; reject(error: Error): void } | undefined;

  const wake = () => {
    const waiters = roomWaiters;
    roomWaiters = [];
    for (const resolve of waiters) resolve();
  };
  const fail = (error: Error) => {
    broken ??= error;
    answer?.reject(broken);
    answer = undefined;
    wake();
  };
  worker.on("message", (reply: ClusterReply) => {
    if (reply.kind === "took") {
      // Blocks are assigned in the order they were sent: this one held its vectors, or was read from the store.
      if (holding.shift()) queued -= 1;
      wake();
    } else if (reply.kind === "result") {
      answer?.resolve(reply.fit);
      answer = undefined;
    } else fail(Object.assign(new Error(reply.message), { name: reply.name }));
  });
  worker.on("error", fail);
  worker.on("exit", () => fail(new Error(stopped ? "the clustering thread was stopped" : "the clustering thread ended before its result")));

  const room = async () => {
    while (!broken && queued >= BLOCKS_QUEUED) await new Promise<void>((resolve) => roomWaiters.push(resolve));
    if (broken) throw broken;
  };

  let counted = data.k !== undefined && data.rows !== undefined;
  return {
    fit(count) {
      if (counted) throw new Error("the clustering thread was given its clusters and rows already");
      counted = true;
      worker.postMessage({ kind: "fit", ...count } satisfies ClusterRequest);
    },
    async assign(rows, giveAway = false) {
      await room();
      // A small Buffer may be a slice of Node's shared pool (https://nodejs.org/api/buffer.html#static-method-bufferallocunsafesize):
      // only a buffer bigger than the pool can be the caller's alone to give.
      const sent = giveAway && rows.buffer.byteLength > Buffer.poolSize ? rows : rows.slice();
      queued += 1;
      holding.push(true);
      worker.postMessage({ kind: "assign", rows: sent } satisfies ClusterRequest, [sent.buffer as ArrayBuffer]);
    },
    async assignStored(rows) {
      if (!Number.isSafeInteger(rows.start) || rows.end - rows.start <= 0 || (rows.end - rows.start) % (4 * data.dim) !== 0) {
        throw new RangeError(`${rows.name}: bytes [${rows.start}, ${rows.end}) are not whole rows of ${data.dim} floats`);
      }
      if (broken) throw broken;
      holding.push(false);
      worker.postMessage({ kind: "assign-stored", rows } satisfies ClusterRequest);
    },
    result() {
      if (broken) return Promise.reject(broken);
      if (!counted) return Promise.reject(new Error("the clustering thread's result was asked for before its clusters and rows"));
      return new Promise<ClusterFit>((resolve, reject) => {
        answer = { resolve, reject };
        worker.postMessage({ kind: "result" } satisfies ClusterRequest);
      });
    },
    async stop(reason) {
      stopped = true;
      if (reason) fail(reason);
      await worker.terminate();
    },
  };
}
