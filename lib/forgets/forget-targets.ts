import type { ForgetView } from "../api/contract";
import { NotFoundError } from "../errors";
import { getIndexCache, type IndexCache } from "../search/index-cache";
import type { MemoryTable } from "../search/memory-table";
import { loadVersion } from "../search/retrieve";
import type { VaultRow } from "../vaults/provision";
import { getForgetRequestDeps } from "./deps";
import { ownVault, queueForget, type ForgetRequestDeps } from "./request-forget";

/**
 * Forgetting what the search indexes name: a memory or a conversation is looked up in the current
 * version's memory table, so an id the vault does not hold (or another person's) is not found. Apart
 * from request-forget.ts because it loads the search indexes (USearch), which only these routes carry.
 */
export interface ForgetTargetDeps extends ForgetRequestDeps {
  cache: IndexCache;
}

export function getForgetTargetDeps(): ForgetTargetDeps {
  return { ...getForgetRequestDeps(), cache: getIndexCache() };
}

/**
 * `DELETE /vault/memories/{id}`: forgets one memory of the current version. Answers the pending forget;
 * the reduce queue writes the version without it (lib/forgets/forget-memories.ts). Another person's
 * memory id is not found, exactly like one that does not exist.
 */
export async function forgetMemory(deps: ForgetTargetDeps, userId: string, memoryId: string): Promise<ForgetView> {
  const vault = await ownVault(deps, userId);
  const memories = await currentMemories(deps, vault);
  if (memories?.rowOf(memoryId) === undefined) throw new NotFoundError("There is no memory with this id in your vault.", "memory_not_found");
  return queueForget(deps, vault, "memory", memoryId);
}

/** `DELETE /vault/conversations/{id}`: forgets every memory of one conversation. */
export async function forgetConversation(deps: ForgetTargetDeps, userId: string, conversationId: string): Promise<ForgetView> {
  const vault = await ownVault(deps, userId);
  const memories = await currentMemories(deps, vault);
  if (!memories?.allowed({ conversationId })?.count) throw new NotFoundError("There is no conversation with this id in your vault.", "conversation_not_found");
  return queueForget(deps, vault, "conversation", conversationId);
}

async function currentMemories(deps: ForgetTargetDeps, vault: VaultRow): Promise<MemoryTable | undefined> {
  if (vault.current_version === 0 || vault.node_count === 0) return undefined;
  return (await loadVersion(deps, vault)).memories;
}
