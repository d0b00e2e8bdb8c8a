import { getRetrievalDeps } from "../search/deps";
import { retrieveMemories, type RetrievalDeps } from "../search/retrieve";
import type { MemoryRetriever } from "./send-message";

/**
 * The chat's memories: the search module's hybrid retrieval (vectors + BM25) over the caller's own vault
 * at its current version, for every plan (memory in chat is the free plan's hook; `memory_search`, the
 * search API, is premium). A vault with nothing merged yet gives none.
 */
export function vaultMemoryRetriever(deps: RetrievalDeps): MemoryRetriever {
  return async (userId, query, k) => (await retrieveMemories(deps, userId, query, { k })).results;
}

export function getMemoryRetriever(): MemoryRetriever {
  return vaultMemoryRetriever(getRetrievalDeps());
}
