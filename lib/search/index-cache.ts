import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { getConfig } from "../config";
import type { EmbedderIdentity } from "../embeddings";
import { log } from "../log";
import type { Store } from "../store/client";
import { getJson } from "../store/objects";
import { downloadToFile, objectBytesInParts } from "../store/ranged";
import { versionKeys } from "../vaults/versions";
import { loadLexicalIndex } from "./lexical-index";
import { loadMemoryTable } from "./memory-table";
import type { SearchIndexes } from "./rank";
import { openVectorIndex } from "./vector-index";
import { isCurrentManifest, writeVersionIndexes, type SearchManifest, type VersionKeys } from "./version-indexes";

export interface VaultVersionRef {
  vaultId: string;
  prefix: string;
  version: number;
  /** The embedder the vault records for this version (needed only to build missing indexes). */
  embedder: EmbedderIdentity;
}

export interface LoadedVersion extends SearchIndexes {
  ref: VaultVersionRef;
  keys: VersionKeys;
  manifest: SearchManifest;
  /** Memory (and /tmp) the version holds, for the cache's budget. */
  bytes: number;
  /** Time to fetch the files from the store, then to open them (map the graph, read the dictionaries). */
  timings: { downloadMs: number; openMs: number };
}

/** Ranged GETs of 16 MiB, 8 at a time (S3's guidance for large objects: 8–16 MB byte ranges in parallel). */
const PARTS = { partBytes: 16 * 1024 * 1024, concurrency: 8 };

export interface IndexCache {
  /** The version's indexes, loaded from the store on first use and kept while the budget allows. */
  get(store: Store, ref: VaultVersionRef): Promise<LoadedVersion>;
  /** Bytes held now. */
  readonly bytes: number;
  /** Versions held now, least recently used first (for tests and logs). */
  keys(): string[];
  /** Drops every version and removes the cache's files. */
  clear(): Promise<void>;
}

/**
 * Loaded search indexes per (vault, version), least recently used evicted first once their bytes pass
 * `maxBytes`. A function container keeps this across warm invocations, so only a cold start or a new
 * version (a merge switched `current_version`) pays the load. Loading a version drops the same vault's
 * older versions at once: nobody asks for them again.
 *
 * The vector index is downloaded to a file under `tmpDir` and mapped (USearch `view`), not copied into
 * the heap: the download is the cost, the mapping is free, and the page cache holds what was just written.
 */
export function createIndexCache(options: { maxBytes: number; tmpDir?: string }): IndexCache {
  const held = new Map<string, { loaded: LoadedVersion; folder: string }>();
  const loading = new Map<string, Promise<LoadedVersion>>();
  let bytes = 0;
  let root: Promise<string> | undefined;

  const keyOf = (ref: VaultVersionRef) => `${ref.vaultId}@${ref.version}`;

  async function drop(key: string): Promise<void> {
    const entry = held.get(key);
    if (!entry) return;
    held.delete(key);
    bytes -= entry.loaded.bytes;
    // The mapping stays valid after the unlink until the index is collected (POSIX unlink semantics).
    await rm(entry.folder, { recursive: true, force: true });
  }

  async function load(store: Store, ref: VaultVersionRef): Promise<LoadedVersion> {
    const started = performance.now();
    const keys = versionKeys(ref.prefix, ref.version);
    let manifest = await getJson<SearchManifest>(store, keys.searchManifest);
    if (!manifest || !isCurrentManifest(manifest)) {
      // A version merged before search existed, or indexed with other settings: build its indexes
      // once, from its own files.
      log.info("search indexes missing or outdated; building them", { vaultId: ref.vaultId, version: ref.version });
      manifest = await writeVersionIndexes(store, keys, ref.embedder);
    }
    root ??= mkdtemp(path.join(options.tmpDir ?? os.tmpdir(), "cogzy-search-"));
    const folder = await mkdtemp(path.join(await root, "v-"));
    const file = path.join(folder, "vectors.usearch");
    const fetchStarted = performance.now();
    const [lexicalBytes, tableBytes] = await Promise.all([
      objectBytesInParts(store, keys.lexicalIndex, manifest.files.lexical, PARTS),
      objectBytesInParts(store, keys.memoryTable, manifest.files.memories, PARTS),
      downloadToFile(store, keys.vectorIndex, file, manifest.files.vectors, PARTS),
    ]);
    const opened = performance.now();
    const vectors = openVectorIndex(file, manifest.embedder.dim, { view: true });
    const lexical = loadLexicalIndex(lexicalBytes);
    const memories = loadMemoryTable(tableBytes);
    if (vectors.rows !== manifest.rows || lexical.docs !== manifest.rows || memories.rows !== manifest.rows) {
      throw new Error(`search indexes of ${ref.prefix} v${ref.version} disagree: ${vectors.rows} vectors, ${lexical.docs} texts, ${memories.rows} memories, ${manifest.rows} expected`);
    }
    const loaded: LoadedVersion = {
      ref,
      keys,
      manifest,
      vectors,
      lexical,
      memories,
      bytes: manifest.files.vectors + lexical.bytes + memories.bytes,
      timings: { downloadMs: opened - fetchStarted, openMs: performance.now() - opened },
    };
    log.info("search indexes loaded", { vaultId: ref.vaultId, version: ref.version, rows: manifest.rows, bytes: loaded.bytes, ms: Math.round(performance.now() - started), ...loaded.timings });
    held.set(keyOf(ref), { loaded, folder });
    bytes += loaded.bytes;
    return loaded;
  }

  return {
    get bytes() {
      return bytes;
    },
    keys: () => [...held.keys()],
    async get(store, ref) {
      const key = keyOf(ref);
      const hit = held.get(key);
      if (hit) {
        held.delete(key);
        held.set(key, hit);
        return hit.loaded;
      }
      let pending = loading.get(key);
      if (!pending) {
        pending = load(store, ref).finally(() => loading.delete(key));
        loading.set(key, pending);
      }
      const loaded = await pending;
      for (const [other, entry] of [...held]) {
        if (other === key) continue;
        if (entry.loaded.ref.vaultId === ref.vaultId && entry.loaded.ref.version < ref.version) await drop(other);
      }
      for (const other of [...held.keys()]) {
        if (bytes <= options.maxBytes) break;
        if (other !== key) await drop(other);
      }
      return loaded;
    },
    async clear() {
      for (const key of [...held.keys()]) await drop(key);
      const folder = root;
      root = undefined;
      if (folder) await rm(await folder, { recursive: true, force: true });
    },
  };
}

let shared: IndexCache | undefined;

/** The container's cache, sized by SEARCH_CACHE_MB; warm invocations of any search function share it. */
export function getIndexCache(): IndexCache {
  shared ??= createIndexCache({ maxBytes: getConfig().search.cacheBytes });
  return shared;
}

/** Empties the process's cache and removes its files (the local stack, on shutdown). */
export async function closeIndexCache(): Promise<void> {
  const closing = shared;
  shared = undefined;
  await closing?.clear();
}
