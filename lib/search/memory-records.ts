import type { VaultNode } from "../ingest/vault-nodes";
import type { Store } from "../store/client";
import { objectRange } from "../store/ranged";
import type { MemoryTable } from "./memory-table";

/** Rows closer than this in nodes.json are read with one GET (neighbours of a conversation sit together). */
const MERGE_GAP_BYTES = 64 * 1024;

/**
 * The nodes of `rows`, read from the version's nodes.json with ranged GETs (nearby rows share one), in
 * the order asked. Each line is checked to be the memory the table says it is.
 */
export async function readMemoryNodes(store: Store, nodesKey: string, table: MemoryTable, rows: readonly number[]): Promise<VaultNode[]> {
  const sorted = [...new Set(rows)].sort((a, b) => table.location(a).offset - table.location(b).offset);
  const groups: number[][] = [];
  for (const row of sorted) {
    const last = groups.at(-1);
    if (last) {
      const end = table.location(last.at(-1)!);
      if (table.location(row).offset - (end.offset + end.length) <= MERGE_GAP_BYTES) {
        last.push(row);
        continue;
      }
    }
    groups.push([row]);
  }
  const found = new Map<number, VaultNode>();
  await Promise.all(
    groups.map(async (group) => {
      const first = table.location(group[0]!);
      const last = table.location(group.at(-1)!);
      const bytes = await objectRange(store, nodesKey, first.offset, last.offset + last.length - first.offset);
      for (const row of group) {
        const at = table.location(row);
        const node = JSON.parse(bytes.toString("utf8", at.offset - first.offset, at.offset - first.offset + at.length)) as VaultNode;
        if (node.id !== table.id(row)) throw new Error(`${nodesKey}: row ${row} holds ${node.id}, the index says ${table.id(row)}`);
        found.set(row, node);
      }
    }),
  );
  return rows.map((row) => found.get(row)!);
}
