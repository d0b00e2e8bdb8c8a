import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { EmbedderIdentity } from "../embeddings";
import { readNodeLines, readStoredRows } from "../ingest/vault-files";
import type { VaultNode } from "../ingest/vault-nodes";
import type { Store } from "../store/client";
import { putStream } from "../store/streams";
import type { versionKeys } from "../vaults/versions";
import { createLexicalBuilder } from "./lexical-index";
import { createMemoryTableBuilder } from "./memory-table";
import { createVectorIndexBuilder, VECTOR_INDEX_SETTINGS } from "./vector-index";

export type VersionKeys = ReturnType<typeof versionKeys>;

/** `indexes/v{N}/search.json`: what the search files of a version hold, written last. */
export interface SearchManifest {
  format: 1;
  rows: number;
  embedder: EmbedderIdentity;
  files: { vectors: number; lexical: number; memories: number };
  /** How the graph was built; a version built with other settings than today's is rebuilt on first use. */
  vector_index: { library: "usearch"; metric: string; quantization: string; connectivity: number };
}

/** Whether a stored manifest describes indexes this code can read as they are. */
export function isCurrentManifest(manifest: SearchManifest): boolean {
  return (
    manifest.format === 1 &&
    manifest.vector_index?.metric === VECTOR_INDEX_SETTINGS.metric &&
    manifest.vector_index.quantization === VECTOR_INDEX_SETTINGS.quantization &&
    manifest.vector_index.connectivity === VECTOR_INDEX_SETTINGS.connectivity
  );
}

/**
 * Builds a version's search indexes from its own nodes.json and nodes.npy (as stored, so the indexes
 * describe exactly the files readers will see) and writes them under `indexes/v{N}/`. The reducer calls
 * this before it switches the vault to the version: a version is never current without its indexes.
 *
 * Costs O(version) like the rest of today's merge; see lexical-index.ts and vector-index.ts for how
 * segments would make it O(new).
 */
export async function writeVersionIndexes(store: Store, keys: VersionKeys, embedder: EmbedderIdentity): Promise<SearchManifest> {
  const lexical = createLexicalBuilder();
  const table = createMemoryTableBuilder();
  // nodes.json is `[\n`, then one node per line joined by `,\n`, then `\n]\n` (see nodesJsonLines):
  // node 0 starts at byte 2 and each next one 2 bytes after the end of the last.
  let offset = 2;
  let rows = 0;
  for await (const line of readNodeLines(store, keys.nodes)) {
    const node = JSON.parse(line) as VaultNode;
    const length = Buffer.byteLength(line, "utf8");
    lexical.add(rows, searchableText(node));
    table.add(node, { offset, length });
    offset += length + 2;
    rows++;
  }

  const vectors = createVectorIndexBuilder(embedder.dim);
  for await (const batch of readStoredRows(store, keys.vectors)) {
    if (batch.dim !== embedder.dim) throw new Error(`${keys.vectors} holds ${batch.dim}-dim vectors, expected ${embedder.dim}`);
    vectors.add(batch.rows.subarray(0, batch.count * batch.dim));
  }
  if (vectors.rows !== rows) throw new Error(`nodes.json has ${rows} nodes but nodes.npy ${vectors.rows} rows`);

  const folder = await mkdtemp(path.join(os.tmpdir(), "cogzy-index-"));
  try {
    const file = path.join(folder, "vectors.usearch");
    vectors.save(file);
    const lexicalBytes = lexical.encode();
    const tableBytes = table.encode();
    const [vectorBytes] = await Promise.all([
      putStream(store, keys.vectorIndex, createReadStream(file, { highWaterMark: 1 << 20 }), "application/octet-stream"),
      putStream(store, keys.lexicalIndex, slices(lexicalBytes), "application/octet-stream"),
      putStream(store, keys.memoryTable, slices(tableBytes), "application/octet-stream"),
    ]);
    const manifest: SearchManifest = {
      format: 1,
      rows,
      embedder,
      files: { vectors: vectorBytes, lexical: lexicalBytes.length, memories: tableBytes.length },
      vector_index: {
        library: "usearch",
        metric: VECTOR_INDEX_SETTINGS.metric,
        quantization: VECTOR_INDEX_SETTINGS.quantization,
        connectivity: VECTOR_INDEX_SETTINGS.connectivity,
      },
    };
    await putStream(store, keys.searchManifest, slices(Buffer.from(JSON.stringify(manifest, null, 2))), "application/json");
    return manifest;
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** What BM25 reads of a memory: the conversation's title and both sides of the turn, or a profile fact. */
export function searchableText(node: VaultNode): string {
  if (node.kind === "profile") return node.label ? `${node.label}\n${node.text}` : node.text;
  return `${node.conversation_title ?? ""}\n${node.human}\n${node.assistant}`;
}

async function* slices(bytes: Buffer): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += 1 << 20) yield bytes.subarray(at, at + (1 << 20));
  if (bytes.length === 0) yield bytes;
}
