/**
 * Throughput of the `.npy` codec on a vault-sized matrix (100k × 1024 float32, 400 MB): the streaming
 * writer (`npyChunks`, as fed to a multipart upload) and reader (`readNpyRows` over 1 MiB chunks, as an
 * S3 GetObject body arrives), next to the in-memory baseline (`encodeNpy` / `decodeNpy`) in the same run.
 * The streaming pair never holds more than one block and one batch; the baseline holds the file twice.
 *
 * Run: npx tsx bench/npy.ts [--rows 100000]
 */
import { decodeNpy, encodeNpy, npyChunks, readNpyRows } from "../lib/vectors/npy";

const args = process.argv.slice(2);
const rows = args.includes("--rows") ? Number(args[args.indexOf("--rows") + 1]) : 100_000;
const dim = 1024;
const CHUNK = 1 << 20;

const matrix = new Float32Array(rows * dim);
for (let i = 0; i < matrix.length; i++) matrix[i] = Math.sin(i);
const megabytes = (rows * dim * 4) / 1e6;
const rate = (start: number) => `${((performance.now() - start) / 1000).toFixed(2)} s  ${(megabytes / ((performance.now() - start) / 1000)).toFixed(0).padStart(5)} MB/s`;

let start = performance.now();
const file = encodeNpy(matrix, rows, dim);
console.log(`encodeNpy (baseline, whole file)     ${rate(start)}`);

start = performance.now();
let written = 0;
async function* blocks() {
  for (let r = 0; r < rows; r += 4096) yield matrix.subarray(r * dim, Math.min(rows, r + 4096) * dim);
}
for await (const part of npyChunks(rows, dim, blocks())) written += part.length;
// On little-endian hosts the blocks go out as views of the matrix: this measures the writer's overhead,
// not a copy (the upload client makes that copy when it fills a part).
console.log(`npyChunks (streaming, 4096-row blocks) ${rate(start)}  zero-copy views, ${written === file.length ? "same length as encodeNpy" : "LENGTH DIFFERS"}`);

start = performance.now();
const decoded = decodeNpy(file);
console.log(`decodeNpy (baseline, whole file)     ${rate(start)}`);

async function* body() {
  for (let at = 0; at < file.length; at += CHUNK) yield file.subarray(at, at + CHUNK);
}
start = performance.now();
let read = 0;
let checksum = 0;
for await (const batch of readNpyRows(body(), { batchRows: 2048 })) {
  read += batch.count;
  checksum += batch.rows[0]!;
}
console.log(`readNpyRows (1 MiB chunks, 2048-row batches) ${rate(start)}  (${read} rows, ${decoded.rows === read ? "all" : "MISSING"})`);
void checksum;
