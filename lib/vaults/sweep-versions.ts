import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import type pg from "pg";
import { log } from "../log";
import { segmentsFolder } from "../search/segment-keys";
import type { SearchManifest } from "../search/version-indexes";
import type { Store } from "../store/client";
import { getJson } from "../store/objects";
import { deletePrefix } from "../store/streams";
import { vaultLayout } from "./layout";
import { versionFolder, versionKeys } from "./versions";

export interface SweepVersionsDeps {
  db: pg.Pool;
  store: Store;
  /** How long a replaced version stays for readers that started on it (SWEEP_GRACE_HOURS). */
  graceSeconds: number;
}

export interface SweepVersionsReport {
  vaults: number;
  /** Objects deleted: files of replaced versions, and search segments no current version lists. */
  objects: number;
}

/** Folders holding one `v{N}/` folder per version. */
export const VERSIONED_FOLDERS: readonly string[] = [vaultLayout.corpus, vaultLayout.vectors, vaultLayout.indexes, vaultLayout.exports];

/** Vaults looked at per run; the rest wait for the next run. */
const VAULTS_PER_RUN = 500;

/**
 * Deletes what no reader of a vault uses any more: every version below the current one, and every
 * search segment the current version does not list, once the vault's last version switch is older
 * than the grace period (a reader that started on the version before has long finished; a forgotten
 * memory stays in the replaced version no longer than that). A merge or forget already deletes the
 * version before the one it replaces; this deletes the one it replaced, and what a crash left.
 *
 * Safe beside a merge or forget of the same vault: those write version current + 1 and segments named
 * after it, which this leaves alone (it touches only versions below the one it read as current, and
 * segments they wrote). Version folders are listed, never guessed.
 */
export async function sweepSupersededVersions(deps: SweepVersionsDeps): Promise<SweepVersionsReport> {
  const { rows } = await deps.db.query<{ id: string; prefix: string; current_version: number }>(
    `SELECT id, prefix, current_version FROM personal.vaults
      WHERE current_version > versions_swept_below AND last_sync_at <= now() - make_interval(secs => $1)
      ORDER BY last_sync_at LIMIT ${VAULTS_PER_RUN}`,
    [deps.graceSeconds],
  );
  let objects = 0;
  for (const vault of rows) {
    for (const folder of VERSIONED_FOLDERS) {
      for (const version of await listVersions(deps.store, `${vault.prefix}/${folder}`)) {
        if (version < vault.current_version) objects += await deletePrefix(deps.store, `${vault.prefix}/${folder}${versionFolder(version)}/`);
      }
    }
    objects += await deleteSegmentsBefore(deps.store, vault.prefix, vault.current_version);
    await deps.db.query("UPDATE personal.vaults SET versions_swept_below = $2 WHERE id = $1 AND versions_swept_below < $2", [vault.id, vault.current_version]);
  }
  const report = { vaults: rows.length, objects };
  if (objects > 0) log.info("replaced vault versions swept", { ...report });
  return report;
}

/**
 * Segments written by a version before `current` that `current` does not list (segment names carry the
 * version that wrote them). Segments named after `current` itself are left: the search function may be
 * rebuilding the current version's indexes under those names right now.
 */
async function deleteSegmentsBefore(store: Store, prefix: string, current: number): Promise<number> {
  // Read as stored (without loading the search code): any manifest names the segments it uses.
  const manifest = await getJson<Pick<SearchManifest, "segments">>(store, versionKeys(prefix, current).searchManifest);
  // Without a manifest, the next search builds the indexes: nothing is known to be unused.
  if (!Array.isArray(manifest?.segments)) return 0;
  const listed = new Set(manifest.segments.map((segment) => segment.name));
  const folder = segmentsFolder(prefix);
  return deletePrefix(store, folder, {
    keep: (key) => {
      const name = key.slice(folder.length).split("/")[0]!;
      const writer = /^[sm](\d+)-/.exec(name);
      return listed.has(name) || !writer || Number(writer[1]) >= current;
    },
  });
}

/** The version numbers with a `v{N}/` folder directly under `folder`. */
async function listVersions(store: Store, folder: string): Promise<number[]> {
  const versions: number[] = [];
  let token: string | undefined;
  do {
    const page = await store.client.send(new ListObjectsV2Command({ Bucket: store.bucket, Prefix: folder, Delimiter: "/", ContinuationToken: token }));
    for (const entry of page.CommonPrefixes ?? []) {
      const match = /\/v(\d+)\/$/.exec(entry.Prefix ?? "");
      if (match) versions.push(Number(match[1]));
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return versions;
}
