import type { Queryable } from "../db/pool";
import { ValidationError } from "../errors";
import { readMemoryNodes } from "../search/memory-records";
import { describeNode, importTimes } from "../search/retrieve";
import type { Store } from "../store/client";
import type { ConversationItem, ConversationsQuery, MemoriesQuery, MemoryItem, Page, TopicsResponse } from "../api/contract";
import { findVaultByUser, type VaultRow } from "./provision";
import { compareNewestFirst, type VersionView, type VersionViewCache } from "./version-view";

export interface BrowseDeps {
  db: Queryable;
  store: Store;
  views: VersionViewCache;
}

/** Example titles shown per topic. */
const EXAMPLES = 3;

/**
 * A page of the memories in `userId`'s vault at its current version, newest first (by when they were
 * said), filtered by source, conversation and topic. The cursor names the last memory shown (its date
 * and id), not a position, so paging goes on correctly after a merge or a forget made a new version.
 */
export async function listMemories(deps: BrowseDeps, userId: string, query: MemoriesQuery): Promise<Page<MemoryItem>> {
  const after = decodeCursor(query.cursor);
  const opened = await openVersion(deps, userId);
  if (!opened) return emptyPage();
  const { vault, view } = opened;
  const table = view.memories;
  const allowed = table.allowed({ source: query.source, conversationId: query.conversation_id });
  const assignments = view.clusters?.assignments;
  const matches = (row: number) => (!allowed || allowed.mask[row] === 1) && (query.cluster === undefined || assignments?.[row] === query.cluster);

  let start = 0;
  if (after) start = firstAfter(view.newestFirst.length, (i) => compareNewestFirst(table.createdAt(view.newestFirst[i]!), table.id(view.newestFirst[i]!), after.time, after.id));
  const rows: number[] = [];
  let total = 0;
  let more = false;
  for (let i = 0; i < view.newestFirst.length; i++) {
    const row = view.newestFirst[i]!;
    if (!matches(row)) continue;
    total += 1;
    if (i < start) continue;
    if (rows.length < query.limit) rows.push(row);
    else more = true;
  }

  const nodes = await readMemoryNodes(deps.store, view.keys.nodes, table, rows);
  const imported = await importTimes(deps, vault, nodes);
  const items = nodes.map((node, index) => ({ ...describeNode(node, imported), upload_id: node.upload_id, cluster: assignments?.[rows[index]!] ?? null }));
  const last = rows.at(-1);
  return { items, next_cursor: more && last !== undefined ? encodeCursor(table.createdAt(last), table.id(last)) : null, total, version: view.version };
}

/**
 * The conversations of the current version with their memory counts and dates, newest first. Counts and
 * dates come from the version's memory tables; the page's titles from one line of nodes.json each.
 */
export async function listConversations(deps: BrowseDeps, userId: string, query: ConversationsQuery): Promise<Page<ConversationItem>> {
  const after = decodeCursor(query.cursor);
  const opened = await openVersion(deps, userId);
  if (!opened) return emptyPage();
  const { view } = opened;
  const all = query.source ? view.conversations.filter((entry) => entry.source === query.source) : view.conversations;
  const start = after ? firstAfter(all.length, (i) => compareNewestFirst(all[i]!.lastMs, all[i]!.conversation_id, after.time, after.id)) : 0;
  const page = all.slice(start, start + query.limit);
  const titles = await conversationTitles(deps, view, page.map((entry) => entry.latestRow));
  const items = page.map((entry, index) => ({
    conversation_id: entry.conversation_id,
    title: titles[index] ?? null,
    source: entry.source,
    memories: entry.memories,
    first_at: isoOrNull(entry.firstMs),
    last_at: isoOrNull(entry.lastMs),
  }));
  const last = page.at(-1);
  const more = start + query.limit < all.length;
  return { items, next_cursor: more && last ? encodeCursor(last.lastMs, last.conversation_id) : null, total: all.length, version: view.version };
}

/** The current version's topic clusters with labels, sizes and a few example conversation titles. */
export async function listTopics(deps: BrowseDeps, userId: string): Promise<TopicsResponse> {
  const opened = await openVersion(deps, userId);
  if (!opened?.view.clusters) return { topics: [], node_count: opened?.vault.node_count ?? 0, version: opened?.view.version ?? 0, computed_at: null };
  const { view } = opened;
  const clusters = view.clusters!;
  // The most typical memories of each topic, a few more than shown (several may share a conversation).
  const wanted = clusters.clusters.map((cluster) => cluster.representative_ids.flatMap((id) => view.memories.rowOf(id) ?? []).slice(0, EXAMPLES * 2));
  const titles = await conversationTitles(deps, view, wanted.flat());
  let at = 0;
  const topics = clusters.clusters.map((cluster, index) => {
    const examples = new Set<string>();
    if (cluster.title) examples.add(cluster.title);
    const found = titles.slice(at, (at += wanted[index]!.length));
    for (const title of found) if (title && examples.size < EXAMPLES) examples.add(title);
    return { id: cluster.id, label: cluster.label, size: cluster.size, terms: cluster.terms, examples: [...examples].slice(0, EXAMPLES) };
  });
  return { topics, node_count: clusters.node_count, version: view.version, computed_at: clusters.computed_at ?? null };
}

/** The conversation title of each row (null for a profile fact), read from nodes.json with ranged GETs. */
async function conversationTitles(deps: BrowseDeps, view: VersionView, rows: number[]): Promise<(string | null)[]> {
  const nodes = await readMemoryNodes(deps.store, view.keys.nodes, view.memories, rows);
  return nodes.map((node) => (node.kind === "exchange" ? node.conversation_title : null));
}

function isoOrNull(ms: number): string | null {
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

async function openVersion(deps: BrowseDeps, userId: string): Promise<{ vault: VaultRow; view: VersionView } | undefined> {
  const vault = await findVaultByUser(deps.db, userId);
  // A vault with no memories has no files to read (an emptied vault keeps its version number).
  if (!vault || vault.current_version === 0 || vault.node_count === 0) return undefined;
  return { vault, view: await deps.views.get(deps.store, vault) };
}

function emptyPage<T>(): Page<T> {
  return { items: [], next_cursor: null, total: 0, version: 0 };
}

/** The first index in [0, length) whose entry sorts after the cursor (`compare(i) > 0`), by bisection. */
function firstAfter(length: number, compare: (index: number) => number): number {
  let low = 0;
  let high = length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compare(mid) > 0) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** A cursor is the last item shown: its date (epoch ms, or null when undated) and id, as base64url JSON. */
function encodeCursor(time: number, id: string): string {
  return Buffer.from(JSON.stringify([Number.isNaN(time) ? null : time, id])).toString("base64url");
}

function decodeCursor(cursor: string | undefined): { time: number; id: string } | undefined {
  if (!cursor) return undefined;
  try {
    const [time, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as [unknown, unknown];
    if ((time === null || typeof time === "number") && typeof id === "string") return { time: time ?? NaN, id };
  } catch {
    // fall through to the refusal
  }
  throw new ValidationError("This cursor is not one a page answered; start again without it.", { field: "cursor" });
}
