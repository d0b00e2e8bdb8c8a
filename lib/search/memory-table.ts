import type { ExportSource } from "../exports";
import type { VaultNode } from "../ingest/vault-nodes";
import { decodeSections, encodeSections, view } from "./binary-sections";

/**
 * What search needs to know about each memory of a version without reading nodes.json: its id, source,
 * kind, date and conversation (for filters and neighbours), and where its line sits in nodes.json (so a
 * result is read with one ranged GET instead of the whole file). Row i is node i, as in nodes.npy.
 */
const MAGIC = "CZMEMS\u0001\n";
export const SOURCES: readonly ExportSource[] = ["openai", "anthropic", "grok", "gemini"];
const KINDS = ["exchange", "profile"] as const;
const NO_CONVERSATION = 0xffffffff;
const ID_BYTES = 32;

export type MemoryKind = (typeof KINDS)[number];

interface TableHeader {
  format: "memories";
  rows: number;
}

/** Collects rows in order (node i of nodes.json, at byte `offset`, `length` bytes long). */
export function createMemoryTableBuilder() {
  const ids: string[] = [];
  const sources: number[] = [];
  const kinds: number[] = [];
  const createdAt: number[] = [];
  const conversationOf: number[] = [];
  const sequence: number[] = [];
  const offsets: number[] = [];
  const lengths: number[] = [];
  const conversations = new Map<string, number>();

  return {
    add(node: VaultNode, location: { offset: number; length: number }): void {
      if (!/^[0-9a-f]{32}$/.test(node.id)) throw new Error(`memory id ${JSON.stringify(node.id)} is not 32 hex characters`);
      ids.push(node.id);
      sources.push(Math.max(0, SOURCES.indexOf(node.source)));
      kinds.push(KINDS.indexOf(node.kind));
      const when = node.created_at ? Date.parse(node.created_at) : NaN;
      createdAt.push(when);
      if (node.kind === "exchange") {
        let index = conversations.get(node.conversation_id);
        if (index === undefined) conversations.set(node.conversation_id, (index = conversations.size));
        conversationOf.push(index);
        sequence.push(node.sequence_index);
      } else {
        conversationOf.push(NO_CONVERSATION);
        sequence.push(0);
      }
      offsets.push(location.offset);
      lengths.push(location.length);
    },

    encode(): Buffer {
      const header: TableHeader = { format: "memories", rows: ids.length };
      return encodeSections(MAGIC, header, {
        createdAt: Float64Array.from(createdAt),
        offsets: Float64Array.from(offsets),
        lengths: Uint32Array.from(lengths),
        conversationOf: Uint32Array.from(conversationOf),
        sequence: Uint32Array.from(sequence),
        sources: Uint8Array.from(sources),
        kinds: Uint8Array.from(kinds),
        ids: Buffer.from(ids.join(""), "latin1"),
        conversations: Buffer.from(JSON.stringify([...conversations.keys()]), "utf8"),
      });
    },
  };
}

/**
 * One table over the rows of several (in row order), for compacting segments without reading nodes.json.
 * `offsetShifts[i]`, when given, is added to file i's nodes.json offsets: a table made for rows whose
 * lines were counted from 0 (a chunk's, lib/search/segments.ts) placed where those lines land.
 */
export function mergeMemoryTableFiles(files: readonly Uint8Array[], offsetShifts?: readonly number[]): Buffer {
  const decoded = files.map((bytes) => decodeSections<TableHeader>(MAGIC, bytes));
  const rows = decoded.reduce((sum, file) => sum + file.header.rows, 0);
  const createdAt = new Float64Array(rows);
  const offsets = new Float64Array(rows);
  const lengths = new Uint32Array(rows);
  const conversationOf = new Uint32Array(rows);
  const sequence = new Uint32Array(rows);
  const sources = new Uint8Array(rows);
  const kinds = new Uint8Array(rows);
  const ids: Buffer[] = [];
  const conversations = new Map<string, number>();
  let at = 0;
  for (const [file, { header, sections }] of decoded.entries()) {
    createdAt.set(view(Float64Array, sections.createdAt!), at);
    offsets.set(view(Float64Array, sections.offsets!), at);
    const shift = offsetShifts?.[file] ?? 0;
    if (shift !== 0) for (let row = at; row < at + header.rows; row++) offsets[row]! += shift;
    lengths.set(view(Uint32Array, sections.lengths!), at);
    sequence.set(view(Uint32Array, sections.sequence!), at);
    sources.set(sections.sources!, at);
    kinds.set(sections.kinds!, at);
    ids.push(Buffer.from(sections.ids!.buffer, sections.ids!.byteOffset, sections.ids!.byteLength));
    const own = JSON.parse(Buffer.from(sections.conversations!).toString("utf8")) as string[];
    const remap = own.map((id) => {
      let index = conversations.get(id);
      if (index === undefined) conversations.set(id, (index = conversations.size));
      return index;
    });
    const of = view(Uint32Array, sections.conversationOf!);
    for (let row = 0; row < header.rows; row++) conversationOf[at + row] = of[row] === NO_CONVERSATION ? NO_CONVERSATION : remap[of[row]!]!;
    at += header.rows;
  }
  const header: TableHeader = { format: "memories", rows };
  return encodeSections(MAGIC, header, {
    createdAt,
    offsets,
    lengths,
    conversationOf,
    sequence,
    sources,
    kinds,
    ids: Buffer.concat(ids),
    conversations: Buffer.from(JSON.stringify([...conversations.keys()]), "utf8"),
  });
}

export interface MemoryFilters {
  source?: ExportSource;
  kind?: MemoryKind;
  conversationId?: string;
  /** Inclusive bounds on `created_at`, epoch milliseconds; memories without a date never match a date filter. */
  fromMs?: number;
  toMs?: number;
}

export interface MemoryTable {
  readonly rows: number;
  readonly bytes: number;
  id(row: number): string;
  /** When row's memory was said (epoch milliseconds), NaN when the export left it undated. */
  createdAt(row: number): number;
  /** Row's conversation id; null for a profile fact. */
  conversationId(row: number): string | null;
  /** Row's turn number within its conversation (0 for a profile fact). */
  sequence(row: number): number;
  /** The export the row's memory came from. */
  source(row: number): ExportSource;
  /** The row holding memory `id`, or undefined. */
  rowOf(id: string): number | undefined;
  /** Where row's line sits in nodes.json. */
  location(row: number): { offset: number; length: number };
  /** Rows of the same conversation, in turn order (empty for a profile fact). */
  conversationRows(row: number): number[];
  /** `allowed[row] = 1` for rows matching every filter, with how many match; undefined when there is no filter. */
  allowed(filters: MemoryFilters): { mask: Uint8Array; count: number } | undefined;
}

export function loadMemoryTable(bytes: Uint8Array): MemoryTable {
  const { header, sections } = decodeSections<TableHeader>(MAGIC, bytes);
  if (header.format !== "memories") throw new Error(`unknown memory table format ${String(header.format)}`);
  const rows = header.rows;
  const createdAt = view(Float64Array, sections.createdAt!);
  const offsets = view(Float64Array, sections.offsets!);
  const lengths = view(Uint32Array, sections.lengths!);
  const conversationOf = view(Uint32Array, sections.conversationOf!);
  const sequence = view(Uint32Array, sections.sequence!);
  const sources = sections.sources!;
  const kinds = sections.kinds!;
  const ids = Buffer.from(sections.ids!.buffer, sections.ids!.byteOffset, sections.ids!.byteLength);
  const conversationIds = JSON.parse(Buffer.from(sections.conversations!).toString("utf8")) as string[];
  // Built on first use: a search never needs them, a memory fetch does.
  let byId: Map<string, number> | undefined;
  let byConversation: Map<number, number[]> | undefined;

  return {
    rows,
    bytes: bytes.byteLength + conversationIds.length * 64,
    id: (row) => ids.toString("latin1", row * ID_BYTES, (row + 1) * ID_BYTES),
    createdAt: (row) => createdAt[row]!,
    conversationId: (row) => (conversationOf[row] === NO_CONVERSATION ? null : conversationIds[conversationOf[row]!]!),
    sequence: (row) => sequence[row]!,
    source: (row) => SOURCES[sources[row]!]!,
    rowOf(id) {
      if (!byId) {
        byId = new Map();
        for (let row = 0; row < rows; row++) byId.set(ids.toString("latin1", row * ID_BYTES, (row + 1) * ID_BYTES), row);
      }
      return byId.get(id);
    },
    location: (row) => ({ offset: offsets[row]!, length: lengths[row]! }),
    conversationRows(row) {
      const conversation = conversationOf[row]!;
      if (conversation === NO_CONVERSATION) return [];
      if (!byConversation) {
        byConversation = new Map();
        for (let r = 0; r < rows; r++) {
          const c = conversationOf[r]!;
          if (c === NO_CONVERSATION) continue;
          let list = byConversation.get(c);
          if (!list) byConversation.set(c, (list = []));
          list.push(r);
        }
      }
      return [...byConversation.get(conversation)!].sort((a, b) => sequence[a]! - sequence[b]! || a - b);
    },
    allowed(filters) {
      const source = filters.source === undefined ? -1 : SOURCES.indexOf(filters.source);
      const kind = filters.kind === undefined ? -1 : KINDS.indexOf(filters.kind);
      let conversation = -1;
      if (filters.conversationId !== undefined) {
        conversation = conversationIds.indexOf(filters.conversationId);
        if (conversation < 0) return { mask: new Uint8Array(rows), count: 0 };
      }
      const from = filters.fromMs ?? -Infinity;
      const to = filters.toMs ?? Infinity;
      const dated = filters.fromMs !== undefined || filters.toMs !== undefined;
      if (source < 0 && kind < 0 && conversation < 0 && !dated) return undefined;
      const mask = new Uint8Array(rows);
      let count = 0;
      for (let row = 0; row < rows; row++) {
        if (source >= 0 && sources[row] !== source) continue;
        if (kind >= 0 && kinds[row] !== kind) continue;
        if (conversation >= 0 && conversationOf[row] !== conversation) continue;
        if (dated) {
          const when = createdAt[row]!;
          if (!(when >= from && when <= to)) continue;
        }
        mask[row] = 1;
        count++;
      }
      return { mask, count };
    },
  };
}

/**
 * The tables of a version's segments (in row order) as one table over all its rows. A conversation can
 * span segments (a later export adds its new turns), so neighbours are gathered across them by id.
 */
export function combineMemoryTables(tables: readonly MemoryTable[]): MemoryTable {
  if (tables.length === 1) return tables[0]!;
  const firsts: number[] = [];
  let rows = 0;
  for (const table of tables) {
    firsts.push(rows);
    rows += table.rows;
  }
  /** The segment holding global `row`, and the row within it. */
  const locate = (row: number): [MemoryTable, number] => {
    let low = 0;
    let high = tables.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (firsts[middle]! <= row) low = middle;
      else high = middle - 1;
    }
    return [tables[low]!, row - firsts[low]!];
  };
  const within = <T>(row: number, read: (table: MemoryTable, local: number) => T): T => {
    const [table, local] = locate(row);
    return read(table, local);
  };

  return {
    rows,
    bytes: tables.reduce((sum, table) => sum + table.bytes, 0),
    id: (row) => within(row, (table, local) => table.id(local)),
    createdAt: (row) => within(row, (table, local) => table.createdAt(local)),
    conversationId: (row) => within(row, (table, local) => table.conversationId(local)),
    sequence: (row) => within(row, (table, local) => table.sequence(local)),
    source: (row) => within(row, (table, local) => table.source(local)),
    rowOf(id) {
      for (let s = 0; s < tables.length; s++) {
        const local = tables[s]!.rowOf(id);
        if (local !== undefined) return firsts[s]! + local;
      }
      return undefined;
    },
    location: (row) => within(row, (table, local) => table.location(local)),
    conversationRows(row) {
      const conversation = within(row, (table, local) => table.conversationId(local));
      if (conversation === null) return [];
      const found: number[] = [];
      tables.forEach((table, s) => {
        const allowed = table.allowed({ conversationId: conversation });
        if (allowed) allowed.mask.forEach((hit, local) => hit === 1 && found.push(firsts[s]! + local));
      });
      return found.sort((a, b) => within(a, (t, l) => t.sequence(l)) - within(b, (t, l) => t.sequence(l)) || a - b);
    },
    allowed(filters) {
      const parts = tables.map((table) => table.allowed(filters));
      if (parts.every((part) => part === undefined)) return undefined;
      const mask = new Uint8Array(rows);
      let count = 0;
      parts.forEach((part, s) => {
        if (!part) return;
        mask.set(part.mask, firsts[s]!);
        count += part.count;
      });
      return { mask, count };
    },
  };
}
