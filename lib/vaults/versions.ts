/**
 * A vault's memories live in immutable versions: `corpus/v{N}/nodes.json`, `vectors/v{N}/nodes.npy`
 * and `indexes/v{N}/` (clusters and the search indexes) are written together, then `vaults.current_version` is switched to N
 * in one transaction. Readers follow that pointer, so they never see a nodes.json and a nodes.npy from
 * different merges, and a crash mid-merge leaves the current version untouched.
 */
export function versionKeys(prefix: string, version: number) {
  const folder = `v${String(version).padStart(6, "0")}`;
  return {
    nodes: `${prefix}/corpus/${folder}/nodes.json`,
    vectors: `${prefix}/vectors/${folder}/nodes.npy`,
    clusters: `${prefix}/indexes/${folder}/clusters.json`,
    /** Search indexes (lib/search): what they hold and which embedder made the vectors. */
    searchManifest: `${prefix}/indexes/${folder}/search.json`,
    vectorIndex: `${prefix}/indexes/${folder}/vectors.usearch`,
    lexicalIndex: `${prefix}/indexes/${folder}/lexical.bin`,
    memoryTable: `${prefix}/indexes/${folder}/memories.bin`,
    prefixes: [`${prefix}/corpus/${folder}/`, `${prefix}/vectors/${folder}/`, `${prefix}/indexes/${folder}/`],
  };
}
