import readline from "node:readline";
import type { Store } from "../store/client";
import { objectBytes, objectStream } from "../store/streams";
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
