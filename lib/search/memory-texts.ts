import { getConfig } from "../config";
import type { VaultNode } from "../ingest/vault-nodes";
import { log } from "../log";
import type { Store } from "../store/client";
import { objectBytesInParts } from "../store/ranged";
import { readMemoryNodes } from "./memory-records";
import type { MemoryTable } from "./memory-table";

/** Which texts: one vault's nodes.json at one version. */
export interface TextVersionRef {
  vaultId: string;
  version: number;
  /** The version's nodes.json. */
  nodesKey: string;
}

export interface MemoryTextCache {
  /**
   * The nodes of `rows` (in the order asked): from memory when the version's texts are held, otherwise
   * by ranged GETs of nodes.json, and then the version's texts start loading in the background (if they
   * fit the budget) so the next messages find them.
   */
  read(store: Store, ref: TextVersionRef, table: MemoryTable, rows: readonly number[]): Promise<VaultNode[]>;
  /** Loads the version's texts now; true once held, false when they do not fit the budget. */
  hold(store: Store, ref: TextVersionRef, table: MemoryTable): Promise<boolean>;
  /**
   * When each upload of the version was merged (upload id → ISO time, null for none), kept with its
   * held texts for the caller to fill: a merged upload's completion time is final, so the version's
   * answer never changes. Undefined while the texts are not held.
   */
  importTimes(ref: Pick<TextVersionRef, "vaultId" | "version">): Map<string, string | null> | undefined;
  /** Bytes held now. */
  readonly bytes: number;
  /** Versions held now (`vault@version`), least recently used first. */
  keys(): string[];
  clear(): void;
}

interface HeldTexts {
  ref: TextVersionRef;
  /** nodes.json from its first byte to the end of the table's last line. */
  bytes: Buffer;
  importTimes: Map<string, string | null>;
}

/** Background loads: ranged GETs of 8 MiB, 4 at a time, so the message's own reads are not starved. */
const PARTS = { partBytes: 8 * 1024 * 1024, concurrency: 4 };
/** After a failed load, the version's texts are not tried again for this long. */
const RETRY_AFTER_MS = 60_000;

/**
 * The memory texts of vault versions, held in memory per (vault, version) as the version's nodes.json
 * bytes, so a warm function reads a result's line from memory instead of a ranged GET per message.
 *
 * Correct across versions by construction: an entry is keyed by vault id and version, and versions are
 * immutable (a merge or a forget writes version N+1 and switches `current_version`; nothing rewrites
 * version N), so a reader at version N+1 never looks at N's bytes, and a memory forgotten in N+1 is
 * not in N+1's table or texts. Holding N+1 drops the vault's older versions at once. Each line read is
 * still checked to be the memory the table names; a mismatch drops the entry and reads the store.
 * Tenants never share an entry: the key is the vault's id, and the caller asks only for its own vault.
 *
 * Bounded: at most `maxBytes` held, least recently used versions evicted first; a version larger than
 * the whole budget is never held (its results keep being read by ranged GETs). The bytes are Buffers
 * outside the V8 heap, one per version (no per-memory objects), so the bound is what the process pays.
 */
export function createMemoryTextCache(options: { maxBytes: number }): MemoryTextCache {
  const held = new Map<string, HeldTexts>();
  const loading = new Map<string, Promise<boolean>>();
  const failedAt = new Map<string, number>();
  let bytes = 0;

  const keyOf = (ref: Pick<TextVersionRef, "vaultId" | "version">) => `${ref.vaultId}@${ref.version}`;

  function drop(key: string): void {
    const entry = held.get(key);
    if (!entry) return;
    held.delete(key);
    bytes -= entry.bytes.length;
  }

  /** Bytes of nodes.json the table's lines cover (0 to the end of the furthest line). */
  function extent(table: MemoryTable): number {
    let end = 0;
    for (let row = 0; row < table.rows; row++) {
      const at = table.location(row);
      end = Math.max(end, at.offset + at.length);
    }
    return end;
  }

  async function load(store: Store, ref: TextVersionRef, table: MemoryTable): Promise<boolean> {
    const key = keyOf(ref);
    const size = extent(table);
    if (size > options.maxBytes) {
      log.info("memory texts larger than the text cache; results are read from the store", { vaultId: ref.vaultId, version: ref.version, bytes: size, maxBytes: options.maxBytes });
      failedAt.set(key, Number.POSITIVE_INFINITY);
      return false;
    }
    const started = performance.now();
    const texts = await objectBytesInParts(store, ref.nodesKey, size, PARTS);
    // A newer version of this vault may have been held while these bytes were on their way.
    for (const entry of held.values()) if (entry.ref.vaultId === ref.vaultId && entry.ref.version > ref.version) return false;
    for (const [other, entry] of [...held]) if (entry.ref.vaultId === ref.vaultId) drop(other);
    held.set(key, { ref, bytes: texts, importTimes: new Map() });
    bytes += texts.length;
    for (const other of [...held.keys()]) {
      if (bytes <= options.maxBytes) break;
      if (other !== key) drop(other);
    }
    log.info("memory texts held", { vaultId: ref.vaultId, version: ref.version, bytes: texts.length, ms: Math.round(performance.now() - started), heldBytes: bytes });
    return true;
  }

  function hold(store: Store, ref: TextVersionRef, table: MemoryTable): Promise<boolean> {
    const key = keyOf(ref);
    if (held.has(key)) return Promise.resolve(true);
    let pending = loading.get(key);
    if (!pending) {
      pending = load(store, ref, table)
        .catch((error: unknown) => {
          failedAt.set(key, Date.now());
          log.warn("could not load memory texts; results are read from the store", { vaultId: ref.vaultId, version: ref.version, error });
          return false;
        })
        .finally(() => loading.delete(key));
      loading.set(key, pending);
    }
    return pending;
  }

  /** The rows' nodes from held bytes, or undefined when a line is not the memory the table names. */
  function fromMemory(entry: HeldTexts, table: MemoryTable, rows: readonly number[]): VaultNode[] | undefined {
    const nodes: VaultNode[] = [];
    for (const row of rows) {
      const at = table.location(row);
      if (at.offset + at.length > entry.bytes.length) return undefined;
      const node = JSON.parse(entry.bytes.toString("utf8", at.offset, at.offset + at.length)) as VaultNode;
      if (node.id !== table.id(row)) return undefined;
      nodes.push(node);
    }
    return nodes;
  }

  return {
    get bytes() {
      return bytes;
    },
    keys: () => [...held.keys()],
    importTimes: (ref) => held.get(keyOf(ref))?.importTimes,
    hold,
    async read(store, ref, table, rows) {
      const key = keyOf(ref);
      const entry = held.get(key);
      if (entry) {
        held.delete(key);
        held.set(key, entry);
        const nodes = fromMemory(entry, table, rows);
        if (nodes) return nodes;
        log.warn("held memory texts disagree with the version's table; dropped", { vaultId: ref.vaultId, version: ref.version });
        drop(key);
        failedAt.set(key, Date.now());
      } else if (Date.now() - (failedAt.get(key) ?? Number.NEGATIVE_INFINITY) >= RETRY_AFTER_MS) {
        void hold(store, ref, table);
      }
      return readMemoryNodes(store, ref.nodesKey, table, rows);
    },
    clear() {
      held.clear();
      failedAt.clear();
      bytes = 0;
    },
  };
}

let shared: MemoryTextCache | undefined;

/** The container's text cache, sized by SEARCH_TEXT_CACHE_MB; warm invocations share it. */
export function getMemoryTextCache(): MemoryTextCache {
  shared ??= createMemoryTextCache({ maxBytes: getConfig().search.textCacheBytes });
  return shared;
}

/** Empties the process's text cache (the local stack, on shutdown). */
export function closeMemoryTextCache(): void {
  shared?.clear();
  shared = undefined;
}
