import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { getConfig } from "../config";
import type { EmbedderIdentity } from "../embeddings";
import { log } from "../log";
import type { Store } from "../store/client";
import { downloadToFile, objectBytesInParts } from "../store/ranged";
import { float32FromLeBytes } from "../vectors/float32-le";
import { versionKeys } from "../vaults/versions";
import { combineLexical, loadLexicalSegment, type LexicalSegment } from "./lexical-index";
import { combineMemoryTables, loadMemoryTable, type MemoryTable } from "./memory-table";
import type { SearchIndexes } from "./rank";
import { segmentKeys, type SegmentEntry } from "./segments";
import { combineVectorIndexes, flatVectorIndex, openVectorIndex, type VectorIndex } from "./vector-index";
import { readSearchManifest, writeVersionIndexes, type SearchManifest, type VersionKeys } from "./version-indexes";

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
  /** Memory (and /tmp) the version's segments hold, for the cache's budget. */
  bytes: number;
  /** Time to fetch the files this load needed from the store, then to open them (map the graphs, read the dictionaries). */
  timings: { downloadMs: number; openMs: number };
}

/** Ranged GETs of 16 MiB, 8 at a time (S3's guidance for large objects: 8–16 MB byte ranges in parallel). */
const PARTS = { partBytes: 16 * 1024 * 1024, concurrency: 8 };
/** While a version's graphs are still being built, its manifest is read again this often. */
const PENDING_RECHECK_MS = 10_000;

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

/** One segment as loaded: shared by every held version that lists it. */
interface LoadedSegment {
  key: string;
  entry: SegmentEntry;
  lexical: LexicalSegment;
  memories: MemoryTable;
  vectors: VectorIndex;
  bytes: number;
  /** Holds the mapped graph file, if any. */
  folder?: string;
}

interface HeldVersion {
  loaded: LoadedVersion;
  segments: LoadedSegment[];
  checkedAt: number;
}

/**
 * Loaded search indexes per (vault, version), least recently used evicted first once their bytes pass
 * `maxBytes`. A function container keeps this across warm invocations, so only a cold start or a new
 * version (a merge switched `current_version`) pays a load, and a new version only pays for the
 * segments the last one did not have: a merge appends a segment, so after a merge of a few memories
 * only their segment is fetched. Loading a version drops the same vault's older versions at once
 * (nobody asks for them again), keeping the segments the new one shares with them.
 *
 * Graphs are downloaded to a file under `tmpDir` and mapped (USearch `view`), not copied into the heap:
 * the download is the cost, the mapping is free, and the page cache holds what was just written. A
 * segment whose graph is still being built is scanned exactly meanwhile, and the version's manifest is
 * read again every {@link PENDING_RECHECK_MS} until its graphs are in.
 */
export function createIndexCache(options: { maxBytes: number; tmpDir?: string }): IndexCache {
  const held = new Map<string, HeldVersion>();
  const segments = new Map<string, LoadedSegment>();
  const loading = new Map<string, Promise<HeldVersion>>();
  let root: Promise<string> | undefined;

  const keyOf = (ref: VaultVersionRef) => `${ref.vaultId}@${ref.version}`;
  const bytesHeld = () => [...segments.values()].reduce((sum, segment) => sum + segment.bytes, 0);

  async function releaseUnused(): Promise<void> {
    const used = new Set<string>();
    for (const version of held.values()) for (const segment of version.segments) used.add(segment.key);
    for (const [key, segment] of [...segments]) {
      if (used.has(key)) continue;
      segments.delete(key);
      // The mapping stays valid after the unlink until the index is collected (POSIX unlink semantics).
      if (segment.folder) await rm(segment.folder, { recursive: true, force: true });
    }
  }

  async function loadSegment(store: Store, ref: VaultVersionRef, keys: VersionKeys, manifest: SearchManifest, entry: SegmentEntry, timings: { downloadMs: number; openMs: number }): Promise<LoadedSegment> {
    const key = `${ref.vaultId}/${entry.name}`;
    const known = segments.get(key);
    // A segment's rows never change; only its graph may have arrived since it was loaded.
    if (known && (known.entry.graph === "ready" || entry.graph !== "ready")) return known;
    const files = segmentKeys(ref.prefix, entry.name);
    const dim = manifest.embedder.dim;
    const fetchStarted = performance.now();
    let folder: string | undefined;
    let vectorBytes: Buffer | undefined;
    const [lexicalBytes, tableBytes] = await Promise.all([
      known ? undefined : objectBytesInParts(store, files.lexical, entry.files.lexical, PARTS),
      known ? undefined : objectBytesInParts(store, files.memories, entry.files.memories, PARTS),
      (async () => {
        if (entry.graph === "ready") {
          root ??= mkdtemp(path.join(options.tmpDir ?? os.tmpdir(), "cogzy-search-"));
          folder = await mkdtemp(path.join(await root, "s-"));
          await downloadToFile(store, files.graph, path.join(folder, "vectors.usearch"), entry.files.graph!, PARTS);
        } else {
          const rowBytes = dim * 4;
          vectorBytes = await objectBytesInParts(store, keys.vectors, entry.rows * rowBytes, { ...PARTS, offset: manifest.vectors_offset + entry.first * rowBytes });
        }
      })(),
    ]);
    const opened = performance.now();
    const vectors = folder ? openVectorIndex(path.join(folder, "vectors.usearch"), dim, { view: true }) : flatVectorIndex(float32FromLeBytes(vectorBytes!), dim);
    const lexical = known?.lexical ?? loadLexicalSegment(lexicalBytes!);
    const memories = known?.memories ?? loadMemoryTable(tableBytes!);
    if (vectors.rows !== entry.rows || lexical.docs !== entry.rows || memories.rows !== entry.rows) {
      throw new Error(`search segment ${entry.name} of ${ref.prefix} disagrees: ${vectors.rows} vectors, ${lexical.docs} texts, ${memories.rows} memories, ${entry.rows} expected`);
    }
    timings.downloadMs += opened - fetchStarted;
    timings.openMs += performance.now() - opened;
    const loaded: LoadedSegment = {
      key,
      entry,
      lexical,
      memories,
      vectors,
      folder,
      bytes: lexical.bytes + memories.bytes + (folder ? entry.files.graph! : entry.rows * dim * 4),
    };
    if (known?.folder) await rm(known.folder, { recursive: true, force: true });
    segments.set(key, loaded);
    return loaded;
  }

  async function load(store: Store, ref: VaultVersionRef): Promise<HeldVersion> {
    const started = performance.now();
    const keys = versionKeys(ref.prefix, ref.version);
    let manifest = await readSearchManifest(store, keys);
    if (!manifest) {
      // A version merged before these indexes existed, or indexed with other settings: build its
      // indexes once, from its own files.
      log.info("search indexes missing or outdated; building them", { vaultId: ref.vaultId, version: ref.version });
      manifest = await writeVersionIndexes(store, keys, ref.embedder);
    }
    const timings = { downloadMs: 0, openMs: 0 };
    const parts: LoadedSegment[] = [];
    for (const entry of manifest.segments) parts.push(await loadSegment(store, ref, keys, manifest, entry, timings));
    if (parts.reduce((sum, part) => sum + part.entry.rows, 0) !== manifest.rows) throw new Error(`search manifest of ${ref.prefix} v${ref.version} lists segments that do not add up to its ${manifest.rows} rows`);
    const combineStarted = performance.now();
    const loaded: LoadedVersion = {
      ref,
      keys,
      manifest,
      vectors: combineVectorIndexes(parts.map((part) => part.vectors)),
      lexical: combineLexical(parts.map((part) => part.lexical)),
      memories: combineMemoryTables(parts.map((part) => part.memories)),
      bytes: parts.reduce((sum, part) => sum + part.bytes, 0),
      timings,
    };
    timings.openMs += performance.now() - combineStarted;
    log.info("search indexes loaded", { vaultId: ref.vaultId, version: ref.version, rows: manifest.rows, segments: parts.length, bytes: loaded.bytes, ms: Math.round(performance.now() - started), ...timings });
    return { loaded, segments: parts, checkedAt: Date.now() };
  }

  /** The same version again once its pending graphs are built (its manifest says so). */
  async function refresh(store: Store, ref: VaultVersionRef, version: HeldVersion): Promise<HeldVersion> {
    version.checkedAt = Date.now();
    const manifest = await readSearchManifest(store, version.loaded.keys);
    const before = version.loaded.manifest.segments.filter((segment) => segment.graph === "ready").length;
    if (!manifest || manifest.segments.filter((segment) => segment.graph === "ready").length === before) return version;
    return load(store, ref);
  }

  function share(key: string, work: () => Promise<HeldVersion>): Promise<HeldVersion> {
    let pending = loading.get(key);
    if (!pending) {
      pending = work().finally(() => loading.delete(key));
      loading.set(key, pending);
    }
    return pending;
  }

  return {
    get bytes() {
      return bytesHeld();
    },
    keys: () => [...held.keys()],
    async get(store, ref) {
      const key = keyOf(ref);
      let version = held.get(key);
      if (version && version.loaded.manifest.segments.some((segment) => segment.graph === "pending") && Date.now() - version.checkedAt >= PENDING_RECHECK_MS) {
        const current = version;
        version = await share(key, () => refresh(store, ref, current));
      }
      if (!version) version = await share(key, () => load(store, ref));
      held.delete(key);
      held.set(key, version);
      for (const [other, entry] of [...held]) {
        if (other !== key && entry.loaded.ref.vaultId === ref.vaultId && entry.loaded.ref.version < ref.version) held.delete(other);
      }
      for (const other of [...held.keys()]) {
        if (bytesHeld() <= options.maxBytes) break;
        if (other === key) continue;
        held.delete(other);
        await releaseUnused();
      }
      await releaseUnused();
      return version.loaded;
    },
    async clear() {
      held.clear();
      await releaseUnused();
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
