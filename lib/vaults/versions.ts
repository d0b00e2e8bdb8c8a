/**
 * A vault's memories live in immutable versions: `corpus/v{N}/nodes.json`, `vectors/v{N}/nodes.npy`
 * and `indexes/v{N}/` (clusters and the search manifest) are written together, then
 * `vaults.current_version` is switched to N in one transaction. Readers follow that pointer, so they
 * never see a nodes.json and a nodes.npy from different merges, and a crash mid-merge leaves the
 * current version untouched. The search segments a manifest lists live under `indexes/segments/`,
 * shared by the versions that list them (lib/search/segments.ts).
 */
export function versionKeys(prefix: string, version: number) {
  const folder = versionFolder(version);
  return {
    prefix,
    version,
    nodes: `${prefix}/corpus/${folder}/nodes.json`,
    vectors: `${prefix}/vectors/${folder}/nodes.npy`,
    clusters: `${prefix}/indexes/${folder}/clusters.json`,
    /** The clusters' member sums (k × dim, clusters.json's order): how new nodes join the nearest cluster. */
    clusterSums: `${prefix}/indexes/${folder}/clusters.npy`,
    /** The version's search indexes (lib/search): its segments, and which embedder made the vectors. */
    searchManifest: `${prefix}/indexes/${folder}/search.json`,
    /** The version as one zip for the person to download (built on request, deleted with the version). */
    exportZip: `${prefix}/exports/${folder}/cogzy-vault-${folder}.zip`,
    prefixes: [`${prefix}/corpus/${folder}/`, `${prefix}/vectors/${folder}/`, `${prefix}/indexes/${folder}/`, `${prefix}/exports/${folder}/`],
  };
}

/** A version's folder name under corpus/, vectors/ and indexes/: `v000042`. */
export function versionFolder(version: number): string {
  return `v${String(version).padStart(6, "0")}`;
}
