/**
 * Where a vault's search segments live (lib/search/segments.ts): apart from the segments' code, which
 * loads USearch, so that functions that only list or delete segments (the version sweeper) do not.
 */
export function segmentsFolder(prefix: string): string {
  return `${prefix}/indexes/segments/`;
}

export function segmentKeys(prefix: string, name: string) {
  const folder = `${segmentsFolder(prefix)}${name}/`;
  return { folder, lexical: `${folder}lexical.bin`, memories: `${folder}memories.bin`, graph: `${folder}vectors.usearch` };
}
