import { createRequire } from "node:module";
import os from "node:os";
import { Worker } from "node:worker_threads";
import { vectorIndexConfig } from "./vector-index";

/**
 * The worker's code, plain CommonJS run by `new Worker(source, { eval: true })`
 * (https://nodejs.org/api/worker_threads.html#new-workerfilename-options): it runs unchanged under tsx
 * (`npm start`), vitest and the bundled Lambda function, where a worker file would have to be a bundle
 * entry of its own. It loads USearch from the path the main thread resolved.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const usearch = require(workerData.usearch);
const index = new usearch.Index(workerData.config);
let rows = 0;
parentPort.on("message", (message) => {
  try {
    if (message.kind === "add") {
      const vectors = new Float32Array(message.buffer);
      const count = vectors.length / workerData.config.dimensions;
      const keys = new BigUint64Array(count);
      for (let i = 0; i < count; i++) keys[i] = BigInt(rows + i);
      index.add(keys, vectors, workerData.threads);
      rows += count;
      parentPort.postMessage({ kind: "added", rows });
    } else if (message.kind === "save") {
      index.save(message.file);
      parentPort.postMessage({ kind: "saved", rows });
    }
  } catch (error) {
    parentPort.postMessage({ kind: "failed", message: error instanceof Error ? error.message : String(error) });
  }
});
`;

type Reply = { kind: "added" | "saved"; rows: number } | { kind: "failed"; message: string };

/** Blocks handed to the worker and not yet added: bounds the vectors waiting in its queue. */
const BLOCKS_AHEAD = 2;

/**
 * Builds the HNSW graph of `blocks` (row-major float32 rows of `dim`; row i of the arrival order is key i,
 * see lib/search/vector-index.ts) and saves it to `file`, on a worker thread. USearch's build is
 * synchronous native work with no async API in its JavaScript binding (minutes for 100k rows): on the
 * calling thread it would stall every request the process serves meanwhile. Returns the rows indexed.
 */
export async function buildGraphFile(dim: number, blocks: AsyncIterable<Float32Array>, file: string, options: { threads?: number } = {}): Promise<number> {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { usearch: createRequire(import.meta.url).resolve("usearch"), config: vectorIndexConfig(dim), threads: options.threads ?? Math.max(1, os.availableParallelism()) },
  });
  const replies: Reply[] = [];
  let waiting: { resolve: (reply: Reply) => void; reject: (error: Error) => void } | null = null;
  let broken: Error | null = null;
  const fail = (error: Error) => {
    broken ??= error;
    waiting?.reject(broken);
    waiting = null;
  };
  worker.on("message", (reply: Reply) => {
    if (waiting) {
      waiting.resolve(reply);
      waiting = null;
    } else replies.push(reply);
  });
  worker.on("error", fail);
  worker.on("exit", (code) => fail(new Error(`the graph worker stopped (exit code ${code})`)));
  const next = async (kind: "added" | "saved"): Promise<number> => {
    let answer = replies.shift();
    if (answer === undefined) {
      if (broken) throw broken;
      answer = await new Promise<Reply>((resolve, reject) => (waiting = { resolve, reject }));
    }
    if (answer.kind === "failed") throw new Error(`graph build failed: ${answer.message}`);
    if (answer.kind !== kind) throw new Error(`graph worker answered ${answer.kind}, expected ${kind}`);
    return answer.rows;
  };
  try {
    let ahead = 0;
    for await (const block of blocks) {
      if (block.length % dim !== 0) throw new Error(`vector block of ${block.length} floats is not a whole number of ${dim}-dim rows`);
      if (block.length === 0) continue;
      // A copy the worker owns: the caller's block may be a view into memory it still uses.
      const own = block.slice();
      worker.postMessage({ kind: "add", buffer: own.buffer }, [own.buffer]);
      if (++ahead >= BLOCKS_AHEAD) {
        await next("added");
        ahead--;
      }
    }
    for (; ahead > 0; ahead--) await next("added");
    worker.postMessage({ kind: "save", file });
    return await next("saved");
  } finally {
    worker.removeAllListeners("exit");
    await worker.terminate();
  }
}
