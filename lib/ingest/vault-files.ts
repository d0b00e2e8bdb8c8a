import readline from "node:readline";
import type { Store } from "../store/client";
import { objectRange } from "../store/ranged";
import { objectBytes, objectStream } from "../store/streams";
import { float32FromLeBytes } from "../vectors/float32-le";
import { decodeNpy, readNpyRows } from "../vectors/npy";
import type { VaultNode } from "./vault-nodes";
import { chunkInputKey, chunkVectorsKey } from "./work-files";

/**
 * `corpus/nodes.json` is a JSON array written one node per line (`[`, then `node,` lines, then `]`),
 * so it can be appended to and read as a stream without ever holding it whole.
 */
export async function* nodesJsonLines(nodes: AsyncIterable<string>): AsyncGenerator<string> {
  yield "[\n";
  let first = true;
  for await (const node of nodes) {
    yield first ? node : `,\n${node}`;
    first = false;
  }
  yield "\n]\n";
}

/** The node lines (JSON text, one node each) of a nodes.json written by {@link nodesJsonLines}. */
export async function* readNodeLines(store: Store, key: string): AsyncGenerator<string> {
  const lines = readline.createInterface({ input: await objectStream(store, key), crlfDelay: Infinity });
  for await (const raw of lines) {
    const line = raw.endsWith(",") ? raw.slice(0, -1) : raw;
    if (line === "[" || line === "]" || line === "") continue;
    yield line;
  }
}

/** All nodes of a vault version (small vaults, tests, export). */
export async function readNodes(store: Store, key: string): Promise<VaultNode[]> {
  const nodes: VaultNode[] = [];
  for await (const line of readNodeLines(store, key)) nodes.push(JSON.parse(line) as VaultNode);
  return nodes;
}

/** Row batches of a stored .npy, header parsed from the file (never assumed). */
export async function* readStoredRows(store: Store, key: string): AsyncGenerator<{ rows: Float32Array; count: number; dim: number }> {
  for await (const batch of readNpyRows(await objectStream(store, key), { batchRows: 2048 })) yield batch;
}

/**
 * Rows [first, first + rows) of a stored .npy whose data starts at byte `dataOffset`, in blocks of up to
 * `blockRows` rows, with ranged GETs: what a segment of a version needs, without the rest of the file.
 */
export async function* readVectorRange(store: Store, key: string, range: { dataOffset: number; first: number; rows: number; dim: number }, blockRows = 2048): AsyncGenerator<Float32Array> {
  const rowBytes = range.dim * 4;
  for (let row = range.first; row < range.first + range.rows; row += blockRows) {
    const count = Math.min(blockRows, range.first + range.rows - row);
    yield float32FromLeBytes(await objectRange(store, key, range.dataOffset + row * rowBytes, count * rowBytes));
  }
}

type ChunkLocation = { vaultPrefix: string; uploadId: string; attempt: number };

/** A chunk's node records, as the split wrote them. */
export async function readChunkNodes(store: Store, location: ChunkLocation, chunkIndex: number): Promise<VaultNode[]> {
  const bytes = await objectBytes(store, chunkInputKey(location.vaultPrefix, location.uploadId, location.attempt, chunkIndex));
  return JSON.parse(bytes.toString("utf8")) as VaultNode[];
}

/** A chunk's vectors, checked to hold `rows` rows of `dim` (the chunk's record count and the vault's dimension). */
export async function readChunkVectors(store: Store, location: ChunkLocation, chunkIndex: number, expected: { rows: number; dim: number }): Promise<Float32Array> {
  const vectors = decodeNpy(await objectBytes(store, chunkVectorsKey(location.vaultPrefix, location.uploadId, location.attempt, chunkIndex)));
  if (vectors.rows !== expected.rows || vectors.dim !== expected.dim) {
    throw new Error(`chunk ${chunkIndex}: expected ${expected.rows} × ${expected.dim} vectors, found ${vectors.rows} × ${vectors.dim}`);
  }
  return vectors.data;
}
