import { type JsonObject, asId, asNumber, asObject } from "./loose-json";

/**
 * The thread a ChatGPT user sees. `mapping` is a tree: every regenerated answer and edited prompt is a
 * branch, and taking every node would duplicate or contradict. The visible thread is the path from
 * `current_node` up through `parent` to the root, reversed. `children` is not used: a 2026 export had it
 * empty on every node. Cycles are cut; a missing or dangling `current_node` falls back to the newest leaf.
 */
export function activeBranch(conversation: JsonObject): JsonObject[] {
  const mapping = asObject(conversation.mapping);
  if (mapping === null) return [];
  const currentNode = asId(conversation.current_node);
  const start = currentNode !== null && asObject(mapping[currentNode]) !== null ? currentNode : newestLeaf(mapping);
  const path: JsonObject[] = [];
  const visited = new Set<string>();
  for (let id = start; id !== null && !visited.has(id); ) {
    visited.add(id);
    const node = asObject(mapping[id]);
    if (node === null) break;
    path.push(node);
    id = asId(node.parent);
  }
  return path.reverse();
}

/** The leaf (a node no other node names as parent) whose message is newest; the last such on ties. */
function newestLeaf(mapping: JsonObject): string | null {
  const parents = new Set<string>();
  for (const node of Object.values(mapping)) {
    const parent = asId(asObject(node)?.parent);
    if (parent !== null) parents.add(parent);
  }
  let best: string | null = null;
  let bestTime = Number.NEGATIVE_INFINITY;
  for (const [id, node] of Object.entries(mapping)) {
    if (parents.has(id) || asObject(node) === null) continue;
    const time = asNumber(asObject(asObject(node)?.message)?.create_time) ?? Number.NEGATIVE_INFINITY;
    if (best === null || time >= bestTime) {
      best = id;
      bestTime = time;
    }
  }
  return best;
}
