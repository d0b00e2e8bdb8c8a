import { log } from "../log";
import { deleteUnlistedSegments } from "../search/segments";
import { buildPendingGraphs, readSearchManifest, writeSearchManifest, type SearchManifest, type VersionKeys } from "../search/version-indexes";
import type { Store } from "../store/client";
import { deletePrefix } from "../store/streams";
import { versionKeys } from "./versions";

/**
 * After a vault moved from version `replaced` to `replaced + 1` (a merge or a forget): the version
 * before the one replaced goes, with the search segments neither kept version lists. The replaced
 * version stays for readers that started before the switch; the sweeper removes it once the grace
 * period has passed (lib/vaults/sweep-versions.ts).
 */
export async function retireOlderVersions(store: Store, prefix: string, replaced: number): Promise<void> {
  if (replaced <= 1) return;
  for (const folder of versionKeys(prefix, replaced - 1).prefixes) await deletePrefix(store, folder);
  await deleteUnlistedSegments(store, prefix, await listedSegments(store, [versionKeys(prefix, replaced), versionKeys(prefix, replaced + 1)]));
}

/**
 * Graphs of the version's large new segments, built after the switch: the version is current and its
 * memories are searched exactly meanwhile. A failure here loses nothing (the next merge's version lists
 * the same segment as pending and builds it).
 */
export async function buildGraphsAfterSwitch(store: Store, keys: VersionKeys, manifest: SearchManifest): Promise<void> {
  if (!manifest.segments.some((segment) => segment.graph === "pending")) return;
  try {
    await writeSearchManifest(store, keys, await buildPendingGraphs(store, keys, manifest));
  } catch (error) {
    log.warn("search graphs not built; searches scan those memories until the next merge builds them", { keys: keys.searchManifest, error: String(error) });
  }
}

/** The search segments the given versions list (a version without a readable manifest lists none). */
async function listedSegments(store: Store, versions: VersionKeys[]): Promise<Set<string>> {
  const names = new Set<string>();
  for (const keys of versions) for (const segment of (await readSearchManifest(store, keys))?.segments ?? []) names.add(segment.name);
  return names;
}
