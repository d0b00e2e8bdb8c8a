import type { Queryable } from "../db/pool";
import { AppError, NotFoundError } from "../errors";
import type { Embedder } from "../embeddings";
import type { VaultNode } from "../ingest/vault-nodes";
import type { Store } from "../store/client";
import { findVaultByUser, type VaultRow } from "../vaults/provision";
import type { MemoryResponse, MemoryResult, SearchResponse } from "../api/contract";
import type { IndexCache, LoadedVersion } from "./index-cache";
import { readMemoryNodes } from "./memory-records";
import type { MemoryFilters } from "./memory-table";
import type { MemoryTextCache, TextVersionRef } from "./memory-texts";
import { rankMemories } from "./rank";
import { snippet } from "./snippets";
import { sourceUrl } from "./source-url";
import { queryTerms } from "./tokens";

export interface RetrievalDeps {
  db: Queryable;
  store: Store;
  /** Embeds the query; must be the embedder the vault was built with. */
  embedder: Embedder;
  cache: IndexCache;
  /** Holds versions' memory texts; without it every result is read from the store. */
  texts?: MemoryTextCache;
}

export interface RetrieveOptions {
  /** How many memories, 1–50 (default 10). */
  k?: number;
  filters?: MemoryFilters;
}

/** The query would be embedded by another model than the vault's vectors: comparing them is meaningless. */
export class EmbedderMismatchError extends AppError {
  constructor(vault: string, ours: string) {
    super(
      "embedder_mismatch",
      `Your vault was built with the embedding model ${vault}, but search is set up with ${ours}. Searching would compare vectors of two different models, so it is refused until they match (set EMBEDDER_MODEL, or re-import the vault).`,
      { status: 409 },
    );
  }
}

/**
 * The memories of `userId`'s vault that best match `query`, at the vault's current version: vector
 * similarity (the query embedded by the vault's own embedder) fused with BM25 (rank.ts). Reads only that
 * user's vault prefix. A vault with nothing merged yet answers an empty list.
 *
 * This is the retrieval the chat builds on: `retrieveMemories(deps, userId, "what did I decide about…",
 * { k: 8, filters: { source: "anthropic" } })`.
 */
export async function retrieveMemories(deps: RetrievalDeps, userId: string, query: string, options: RetrieveOptions = {}): Promise<SearchResponse> {
  const started = performance.now();
  const vault = await currentVault(deps, userId);
  if (!vault) return { results: [], version: 0, took_ms: Math.round(performance.now() - started) };
  const [loaded, [vector]] = await Promise.all([loadVersion(deps, vault), deps.embedder.embed([query])]);
  const ranked = rankMemories(loaded, { text: query, vector: vector! }, { k: options.k ?? 10, filters: options.filters });
  const nodes = await readNodes(deps, vault, loaded, ranked.map((entry) => entry.row));
  const importedAt = await importTimes(deps, vault, nodes);
  const words = queryTerms(query);
  const results: MemoryResult[] = nodes.map((node, index) => ({
    ...describeNode(node, importedAt),
    snippet: snippet(node.kind === "exchange" ? `${node.human}\n${node.assistant}` : node.text, words),
    score: Number(ranked[index]!.score.toFixed(6)),
  }));
  return { results, version: vault.current_version, took_ms: Math.round(performance.now() - started) };
}

/**
 * One memory of the caller's vault by id, with up to `around` turns before and after it in its
 * conversation. Another user's memory id is not found, exactly like an id that does not exist.
 */
export async function getMemory(deps: Omit<RetrievalDeps, "embedder">, userId: string, memoryId: string, options: { around?: number } = {}): Promise<MemoryResponse> {
  const around = options.around ?? 2;
  const vault = await currentVault(deps, userId);
  const missing = new NotFoundError("There is no memory with this id in your vault.", "memory_not_found");
  if (!vault || !/^[0-9a-f]{32}$/.test(memoryId)) throw missing;
  const loaded = await loadVersion(deps, vault);
  const row = loaded.memories.rowOf(memoryId);
  if (row === undefined) throw missing;
  const conversation = loaded.memories.conversationRows(row);
  const at = conversation.indexOf(row);
  const before = at < 0 ? [] : conversation.slice(Math.max(0, at - around), at);
  const after = at < 0 ? [] : conversation.slice(at + 1, at + 1 + around);
  const nodes = await readNodes(deps, vault, loaded, [row, ...before, ...after]);
  const importedAt = await importTimes(deps, vault, nodes);
  const described = nodes.map((node) => describeNode(node, importedAt));
  return { memory: described[0]!, before: described.slice(1, 1 + before.length), after: described.slice(1 + before.length), version: vault.current_version };
}

async function currentVault(deps: { db: Queryable; embedder?: Embedder }, userId: string): Promise<VaultRow | undefined> {
  const vault = await findVaultByUser(deps.db, userId);
  // A vault with no memories has no files to read (an emptied vault keeps its version number).
  if (!vault || vault.current_version === 0 || vault.node_count === 0) return undefined;
  if (deps.embedder && (vault.embedder_model !== deps.embedder.model || vault.embedding_dim !== deps.embedder.dim)) {
    throw new EmbedderMismatchError(`${vault.embedder_model} (${vault.embedding_dim} dimensions)`, `${deps.embedder.model} (${deps.embedder.dim} dimensions)`);
  }
  return vault;
}

/** The search indexes of the vault's current version (loaded once, then held by the cache). */
export async function loadVersion(deps: { store: Store; cache: IndexCache }, vault: VaultRow): Promise<LoadedVersion> {
  return deps.cache.get(deps.store, {
    vaultId: vault.id,
    prefix: vault.prefix,
    version: vault.current_version,
    embedder: { embedder: vault.embedder as "http" | "local", model: vault.embedder_model!, dim: vault.embedding_dim! },
  });
}

function textRef(vault: VaultRow, loaded: LoadedVersion): TextVersionRef {
  return { vaultId: vault.id, version: vault.current_version, nodesKey: loaded.keys.nodes };
}

/** The rows' nodes: from the held texts of this very version when a warm function has them, else the store. */
async function readNodes(deps: { store: Store; texts?: MemoryTextCache }, vault: VaultRow, loaded: LoadedVersion, rows: number[]): Promise<VaultNode[]> {
  if (!deps.texts) return readMemoryNodes(deps.store, loaded.keys.nodes, loaded.memories, rows);
  return deps.texts.read(deps.store, textRef(vault, loaded), loaded.memories, rows);
}

/**
 * When each memory's upload was merged, by upload id (only this vault's uploads). Answers that cannot
 * change any more (a completion time, or no such upload) are kept with the version's held texts, so a
 * warm function does not ask again.
 */
export async function importTimes(deps: { db: Queryable; texts?: MemoryTextCache }, vault: VaultRow, nodes: VaultNode[]): Promise<Map<string, string | null>> {
  const known = deps.texts?.importTimes({ vaultId: vault.id, version: vault.current_version }) ?? new Map<string, string | null>();
  const missing = [...new Set(nodes.map((node) => node.upload_id))].filter((id) => !known.has(id));
  if (missing.length === 0) return known;
  const { rows } = await deps.db.query<{ id: string; completed: Date | null; uploaded: Date | null }>(
    "SELECT id, processing_completed_at AS completed, uploaded_at AS uploaded FROM personal.vault_uploads WHERE vault_id = $1 AND id = ANY($2::uuid[])",
    [vault.id, missing],
  );
  const found = new Map(rows.map((row) => [row.id, row]));
  // An upload's completion is set once, in the transaction that switched the vault to its version, and
  // an upload that is not there never will be: both are kept. Until completion (never, for a merged
  // memory) the upload time stands in, and is not kept.
  const pending = new Map<string, string | null>();
  for (const id of missing) {
    const row = found.get(id);
    if (!row) known.set(id, null);
    else if (row.completed) known.set(id, row.completed.toISOString());
    else pending.set(id, row.uploaded?.toISOString() ?? null);
  }
  return pending.size === 0 ? known : new Map([...known, ...pending]);
}

/** A node as the API shows a memory (search results, browse), without score or snippet. */
export function describeNode(node: VaultNode, importedAt: Map<string, string | null>): Omit<MemoryResult, "score" | "snippet"> {
  const shared = { id: node.id, kind: node.kind, source: node.source, created_at: node.created_at, imported_at: importedAt.get(node.upload_id) ?? null };
  if (node.kind === "profile") {
    return { ...shared, human: node.text, assistant: "", conversation_id: null, conversation_title: null, source_url: null, profile_kind: node.profile_kind, label: node.label ?? null };
  }
  return {
    ...shared,
    human: node.human,
    assistant: node.assistant,
    conversation_id: node.conversation_id,
    conversation_title: node.conversation_title,
    source_url: sourceUrl(node.source, node.conversation_id),
  };
}
