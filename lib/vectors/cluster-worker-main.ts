import http from "node:http";
import https from "node:https";
import { parentPort, workerData } from "node:worker_threads";
import { fitWholeSample, type ClusterAssigner } from "./cluster-fit";
import type { ClusterCount, ClusterReply, ClusterRequest, ClusterThreadData, SampleSource, StoredRows } from "./cluster-thread";
import { LITTLE_ENDIAN_HOST, swapFloat32Bytes } from "./float32-le";
import { decodeSample, type ChunkSample } from "./sample-file";

/**
 * The clustering thread's side of lib/vectors/cluster-thread.ts. It reads the sample files (presigned
 * URLs) and, once it also has the clusters and rows (from the start, or in a "fit" message), fits the
 * centroids on the rows of lowest priority, while the rows to assign arrive and wait;
 * then it assigns them in order as they come, and posts the fit once asked for it. Rows sent as where
 * they are in the store are read here, a few blocks ahead, into buffers used again for later blocks.
 * Its code reaches the thread as a bundle (lib/vectors/cluster-worker.generated.ts, made by
 * `npm run build:workers`), so it runs the same under tsx, vitest and the bundled Lambda function.
 */
const { dim, sampleSize, samples, ...given } = workerData as ClusterThreadData;
const port = parentPort!;
/** Sample files fetched at once. */
const FETCHES = 4;
/** Blocks of stored rows read ahead of the one being assigned. */
const STORED_AHEAD = 2;

/** A block to assign: its rows, or where they are and (once its read has started) the read. */
type Waiting = { rows: Float32Array } | { stored: StoredRows; read?: Promise<Uint8Array> };

let assigner: ClusterAssigner | undefined;
let failed = false;
let working = false;
let resultAsked = false;
const waiting: Waiting[] = [];
/** Buffers of stored blocks already assigned, for the next reads. */
const spare: Uint8Array[] = [];

/** The clusters and rows, from the start or from a "fit" message: the samples are read meanwhile. */
let countGiven: (count: ClusterCount) => void;
const counted = new Promise<ClusterCount>((resolve) => (countGiven = resolve));
if (given.k !== undefined && given.rows !== undefined) countGiven!({ k: given.k, rows: given.rows });

port.on("message", (request: ClusterRequest) => {
  if (request.kind === "fit") return countGiven({ k: request.k, rows: request.rows });
  if (request.kind === "assign") waiting.push({ rows: request.rows });
  else if (request.kind === "assign-stored") waiting.push({ stored: request.rows });
  else resultAsked = true;
  readAhead();
  void work();
});

/** Starts the reads of the first few stored blocks waiting (while the fit runs, too). */
function readAhead(): void {
  for (let at = 0; at < Math.min(waiting.length, STORED_AHEAD + 1); at++) {
    const entry = waiting[at]!;
    if ("stored" in entry && !entry.read) {
      const size = entry.stored.end - entry.stored.start;
      const index = spare.findIndex((buffer) => buffer.length >= size);
      const target = index >= 0 ? spare.splice(index, 1)[0]! : new Uint8Array(size);
      entry.read = getBytes(entry.stored, { start: entry.stored.start, end: entry.stored.end }, target.subarray(0, size));
      entry.read.catch(() => undefined);
    }
  }
}

/** Assigns the rows waiting, in order, once the fit is there; then the result, once asked. */
async function work(): Promise<void> {
  if (!assigner || failed || working) return;
  working = true;
  try {
    while (waiting.length > 0) {
      readAhead();
      const entry = waiting[0]!;
      if ("rows" in entry) assigner.assign(entry.rows);
      else {
        const bytes = await entry.read!;
        if (!LITTLE_ENDIAN_HOST) swapFloat32Bytes(bytes);
        assigner.assign(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
        spare.push(new Uint8Array(bytes.buffer));
        if (spare.length > STORED_AHEAD + 1) spare.sort((a, b) => b.length - a.length).length = STORED_AHEAD + 1;
      }
      waiting.shift();
      port.postMessage({ kind: "took" } satisfies ClusterReply);
    }
    if (resultAsked) {
      resultAsked = false;
      const fit = assigner.result();
      port.postMessage({ kind: "result", fit } satisfies ClusterReply, [fit.assignments.buffer as ArrayBuffer, fit.sums.buffer as ArrayBuffer]);
    }
  } catch (error) {
    fail(error);
  } finally {
    working = false;
  }
}

function fail(error: unknown): void {
  failed = true;
  port.postMessage({ kind: "failed", name: error instanceof Error ? error.name : "Error", message: error instanceof Error ? error.message : String(error) } satisfies ClusterReply);
}

/**
 * Sampled rows: each one's priority, place in the files' order, and where its vector is (a row of a
 * sample file, or of a compacted matrix), copied out only if it is kept.
 */
interface Candidates {
  priority: number[];
  order: number[];
  source: Pick<ChunkSample, "rowInto">[];
  row: number[];
}

/**
 * Keeps the `sampleSize` candidates of lowest priority (earlier first on ties), copied in the files'
 * order into one matrix (so the files they came from can go), whose rows they then name.
 */
function lowest(from: Candidates): Candidates & { matrix: Float32Array } {
  const picked = from.priority
    .map((_, at) => at)
    .sort((a, b) => from.priority[a]! - from.priority[b]! || from.order[a]! - from.order[b]!)
    .slice(0, sampleSize)
    .sort((a, b) => from.order[a]! - from.order[b]!);
  const matrix = new Float32Array(picked.length * dim);
  picked.forEach((at, row) => from.source[at]!.rowInto(from.row[at]!, matrix, row * dim));
  const compacted: Pick<ChunkSample, "rowInto"> = { rowInto: (row, into, at) => into.set(matrix.subarray(row * dim, (row + 1) * dim), at) };
  return {
    matrix,
    priority: picked.map((at) => from.priority[at]!),
    order: picked.map((at) => from.order[at]!),
    source: picked.map(() => compacted),
    row: picked.map((_, row) => row),
  };
}

/** The `sampleSize` rows of lowest priority over every sample file, in the files' order, as one matrix. */
async function readSample(): Promise<Float32Array> {
  let kept: Candidates = { priority: [], order: [], source: [], row: [] };
  const fetches: (Promise<Uint8Array> | undefined)[] = [];
  const fetchFile = (index: number) => {
    const source = samples[index];
    if (!source || fetches[index]) return;
    const fetched = getBytes(source);
    fetched.catch(() => undefined);
    fetches[index] = fetched;
  };
  let order = 0;
  for (let index = 0; index < samples.length; index++) {
    for (let ahead = index; ahead < index + FETCHES; ahead++) fetchFile(ahead);
    const sample = decodeSample(await fetches[index]!, dim);
    fetches[index] = Promise.resolve(new Uint8Array(0));
    sample.priorities.forEach((priority, row) => {
      kept.priority.push(priority);
      kept.order.push(order++);
      kept.source.push(sample);
      kept.row.push(row);
    });
    // Bounded memory: at most twice the sample's rows (and the files they are in) between compactions.
    if (kept.priority.length >= 2 * sampleSize) kept = lowest(kept);
  }
  return lowest(kept).matrix;
}

/**
 * A file's bytes, or bytes [start, end) of it, through node:http (or https): its native parser costs the
 * thread much less than fetch's (undici's WebAssembly parser and web streams) for the ~100 MB of a large
 * upload's samples, and the body is copied once, into `into` when given (exactly the range's length),
 * else a buffer of the length the store declares.
 */
function getBytes(source: SampleSource, range?: { start: number; end: number }, into?: Uint8Array): Promise<Uint8Array> {
  const url = new URL(source.url);
  const get = url.protocol === "https:" ? https.get : http.get;
  // A byte range, `bytes=first-last` (https://www.rfc-editor.org/rfc/rfc9110#section-14.1.2), answered 206.
  const headers = range ? { range: `bytes=${range.start}-${range.end - 1}` } : {};
  return new Promise((resolve, reject) => {
    const request = get(url, { headers }, (response) => {
      const status = response.statusCode ?? 0;
      if (status !== (range ? 206 : 200)) {
        response.resume();
        return reject(new Error(`reading ${source.name} for the clusters: the store answered ${status}`));
      }
      const declared = Number(response.headers["content-length"]);
      const pieces: Buffer[] = [];
      let target = into ?? (Number.isSafeInteger(declared) ? new Uint8Array(declared) : undefined);
      let at = 0;
      response.on("data", (piece: Buffer) => {
        if (target && at + piece.length <= target.length) target.set(piece, at);
        else {
          if (into) return response.destroy(new Error(`reading ${source.name} for the clusters: more than the ${into.length} bytes asked for`));
          pieces.push(piece);
        }
        at += piece.length;
      });
      response.on("error", reject);
      response.on("end", () => {
        if (target && at !== target.length) return reject(new Error(`reading ${source.name} for the clusters: ${at} of its ${target.length} bytes arrived`));
        resolve(target ?? Buffer.concat(pieces));
      });
    });
    request.on("error", reject);
  });
}

async function fitOnSample(): Promise<void> {
  // The fit is on exactly the sampled rows, where they lie.
  const sample = await readSample();
  const { k, rows } = await counted;
  assigner = fitWholeSample(dim, sample, { k }, rows);
  await work();
}

fitOnSample().catch(fail);
