import type { EmbedderIdentity } from "../embeddings";
import type { ExportSource } from "../exports";
import { combineMemoryTables, loadMemoryTable, type MemoryTable } from "../search/memory-table";
import { segmentKeys } from "../search/segments";
import { readSearchManifest, writeVersionIndexes, type SearchManifest } from "../search/version-indexes";
import type { Store } from "../store/client";
import { getJson } from "../store/objects";
import { objectBytesInParts } from "../store/ranged";
import type { ClustersDoc } from "../vectors/clusters-doc";
import type { VaultRow } from "./provision";
import { versionKeys } from "./versions";

/** One conversation of a version, from the memory tables alone (its title is in nodes.json, at `latestRow`). */
export interface ConversationSummary {
  conversation_id: string;
  source: ExportSource;
  /** How many memories (exchanges) of the conversation the version holds. */
  memories: number;
  /** The first and last dated turn held (epoch ms), NaN when none is dated. */
  firstMs: number;
  lastMs: number;
  /** The conversation's row merged last: its title is the one the latest export gave. */
  latestRow: number;
}

/**
 * What browsing and exporting a version need, without nodes.json: the memory table of every row (id,
 * date, source, conversation, where its line sits in nodes.json), the topic clusters, the conversations
 * with their counts and dates, and the rows newest first.
 *
 * It is derived from the version's search segments (lib/search/segments.ts), which the version writer
 * already writes for the new rows only: a merge writes nothing for browsing, and a warm function that
 * held the previous version fetches only the segments the new one added (a segment never changes).
 * Only the memory tables are fetched (about 100 bytes a memory), never the vector or lexical indexes.
 */
export interface VersionView {
  version: number;
  keys: ReturnType<typeof versionKeys>;
  memories: MemoryTable;
  clusters: ClustersDoc | undefined;
  /** Newest first: by the last dated turn (undated last), then by id, both descending. */
  conversations: ConversationSummary[];
  /** Rows ordered newest first: by date (undated last), then by id, both descending. */
  newestFirst: Uint32Array;
}

export interface VersionViewCache {
  get(store: Store, vault: VaultRow): Promise<VersionView>;
}

/** Versions kept per container; a newer version of a vault drops its older ones at once. */
const KEEP = 16;
const PARTS = { partBytes: 16 * 1024 * 1024, concurrency: 4 };

export function createVersionViewCache(): VersionViewCache {
  const held = new Map<string, Promise<VersionView>>();
  /** Loaded memory tables by vault and segment name, shared by the held versions that list them. */
  const tables = new Map<string, { table: Promise<MemoryTable>; users: Set<string> }>();

  function release(key: string): void {
    held.delete(key);
    for (const [name, entry] of tables) {
      entry.users.delete(key);
      if (entry.users.size === 0) tables.delete(name);
    }
  }

  function segmentTable(store: Store, vault: VaultRow, viewKey: string, name: string, bytes: number): Promise<MemoryTable> {
    const key = `${vault.id}/${name}`;
    let entry = tables.get(key);
    if (!entry) {
      const table = objectBytesInParts(store, segmentKeys(vault.prefix, name).memories, bytes, PARTS).then(loadMemoryTable);
      table.catch(() => tables.delete(key));
      tables.set(key, (entry = { table, users: new Set() }));
    }
    entry.users.add(viewKey);
    return entry.table;
  }

  return {
    get(store, vault) {
      const key = `${vault.id}@${vault.current_version}`;
      let view = held.get(key);
      if (!view) {
        for (const other of [...held.keys()]) if (other.startsWith(`${vault.id}@`)) release(other);
        view = loadView(store, vault, (name, bytes) => segmentTable(store, vault, key, name, bytes));
        view.catch(() => release(key));
        held.set(key, view);
        while (held.size > KEEP) release(held.keys().next().value!);
      }
      return view;
    },
  };
}

async function loadView(store: Store, vault: VaultRow, segmentTable: (name: string, bytes: number) => Promise<MemoryTable>): Promise<VersionView> {
  const keys = versionKeys(vault.prefix, vault.current_version);
  let manifest: SearchManifest | undefined = await readSearchManifest(store, keys);
  if (!manifest) {
    // A version merged before segments existed: indexed once, as the search does (lib/search/index-cache.ts).
    const embedder: EmbedderIdentity = { embedder: vault.embedder as EmbedderIdentity["embedder"], model: vault.embedder_model!, dim: vault.embedding_dim! };
    manifest = await writeVersionIndexes(store, keys, embedder, { graphs: "later" });
  }
  const [parts, clusters] = await Promise.all([
    Promise.all(manifest.segments.map((segment) => segmentTable(segment.name, segment.files.memories))),
    getJson<ClustersDoc>(store, keys.clusters),
  ]);
  const memories = combineMemoryTables(parts);
  if (memories.rows !== manifest.rows) throw new Error(`search manifest of ${keys.searchManifest} lists ${memories.rows} memories, says ${manifest.rows}`);
  const times = Float64Array.from({ length: memories.rows }, (_, row) => memories.createdAt(row));
  return {
    version: vault.current_version,
    keys,
    memories,
    // A clusters.json whose rows are not this version's (it never should be) is left out rather than misread.
    clusters: clusters && clusters.assignments.length === memories.rows ? clusters : undefined,
    conversations: summariseConversations(memories, times),
    newestFirst: sortNewestFirst(memories, times),
  };
}

/** One pass over the rows: each conversation's count, source, first and last date, and latest row. */
function summariseConversations(table: MemoryTable, times: Float64Array): ConversationSummary[] {
  const byId = new Map<string, ConversationSummary>();
  for (let row = 0; row < table.rows; row++) {
    const id = table.conversationId(row);
    if (id === null) continue;
    let held = byId.get(id);
    if (!held) byId.set(id, (held = { conversation_id: id, source: table.source(row), memories: 0, firstMs: NaN, lastMs: NaN, latestRow: row }));
    held.memories += 1;
    held.latestRow = row;
    const when = times[row]!;
    if (!Number.isNaN(when)) {
      if (!(when >= held.firstMs)) held.firstMs = when;
      if (!(when <= held.lastMs)) held.lastMs = when;
    }
  }
  return [...byId.values()].sort((a, b) => compareNewestFirst(a.lastMs, a.conversation_id, b.lastMs, b.conversation_id));
}

function sortNewestFirst(table: MemoryTable, times: Float64Array): Uint32Array {
  const rows = Uint32Array.from({ length: table.rows }, (_, row) => row);
  const key = (row: number) => (Number.isNaN(times[row]!) ? -Infinity : times[row]!);
  // Ids are read only to break a tie of dates (reading one is a lookup and a string).
  return rows.sort((a, b) => key(b) - key(a) || compareNewestFirst(NaN, table.id(a), NaN, table.id(b)));
}

/** Newest first: later date before earlier, any date before none, then the larger id first. */
export function compareNewestFirst(aTime: number, aId: string, bTime: number, bId: string): number {
  const a = Number.isNaN(aTime) ? -Infinity : aTime;
  const b = Number.isNaN(bTime) ? -Infinity : bTime;
  if (a !== b) return b > a ? 1 : -1;
  return aId === bId ? 0 : aId < bId ? 1 : -1;
}

let shared: VersionViewCache | undefined;

/** The container's cache of browse views. */
export function getVersionViewCache(): VersionViewCache {
  shared ??= createVersionViewCache();
  return shared;
}
