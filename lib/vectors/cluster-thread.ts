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
export interface ClusterThreadData {
  dim: number;
  k: number;
  /** Rows it will be sent to assign. */
  rows: number;
  /** Rows the fit is made on: the sample files' rows of lowest priority. */
  sampleSize: number;
  /** Sample files (lib/vectors/sample-file.ts), in the order of the rows they sample. */
  samples: SampleSource[];
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
export type ClusterRequest = { kind: "assign"; rows: Float32Array } | { kind: "assign-stored"; rows: StoredRows } | { kind: "result" };
/** What it answers: each block of rows assigned, the result, or why it could not. */
export type ClusterReply = { kind: "took" } | { kind: "result"; fit: ClusterFit } | { kind: "failed"; name: string; message: string };

/**
 * Blocks sent to assign and not yet assigned: they wait while the thread fits (a merge's first second or
 * two), so this bounds the vectors held for it (16 MiB a block at most: 4,096 rows of 1,024 floats).
 */
const BLOCKS_QUEUED = 32;

/** A clustering on a thread of its own: the rows to assign go in as they pass, the fit comes out. */
export interface ClusterThread {
  /**
   * The next rows to assign, in order; resolves once there is room for more. Copied, unless `giveAway`:
   * the caller never reads them (or anything else in their buffer) again, so the buffer moves to the thread.
   */
  assign(rows: Float32Array, giveAway?: boolean): Promise<void>;
  /**
   * The next rows to assign, read by the thread from the store: rows the merge has the store copy into
   * the version need not pass through the merge's thread at all.
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
 */
export function startClusterThread(data: ClusterThreadData): ClusterThread {
  // Plain CommonJS run with `eval` (https://nodejs.org/api/worker_threads.html#new-workerfilename-options):
  // no worker file to ship beside the bundled function.
  const worker = new Worker(CLUSTER_WORKER_SOURCE, { eval: true, workerData: data });
  let broken: Error | undefined;
  let stopped = false;
  let queued = 0;
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
      queued -= 1;
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

  return {
    async assign(rows, giveAway = false) {
      await room();
      // A small Buffer may be a slice of Node's shared pool (https://nodejs.org/api/buffer.html#static-method-bufferallocunsafesize):
      // only a buffer bigger than the pool can be the caller's alone to give.
      const sent = giveAway && rows.buffer.byteLength > Buffer.poolSize ? rows : rows.slice();
      queued += 1;
      worker.postMessage({ kind: "assign", rows: sent } satisfies ClusterRequest, [sent.buffer as ArrayBuffer]);
    },
    async assignStored(rows) {
      if (!Number.isSafeInteger(rows.start) || rows.end - rows.start <= 0 || (rows.end - rows.start) % (4 * data.dim) !== 0) {
        throw new RangeError(`${rows.name}: bytes [${rows.start}, ${rows.end}) are not whole rows of ${data.dim} floats`);
      }
      await room();
      queued += 1;
      worker.postMessage({ kind: "assign-stored", rows } satisfies ClusterRequest);
    },
    result() {
      if (broken) return Promise.reject(broken);
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
