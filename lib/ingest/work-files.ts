/**
 * Where an upload's intermediate files live while it is processed: under the vault's own `work/`
 * folder, one folder per split attempt, deleted once the upload is merged or has failed.
 */
export function workPrefix(vaultPrefix: string, uploadId: string): string {
  return `${vaultPrefix}/work/${uploadId}/`;
}

/** The folder of one split attempt's chunk files. */
export function attemptPrefix(vaultPrefix: string, uploadId: string, attempt: number): string {
  return `${workPrefix(vaultPrefix, uploadId)}a${attempt}/`;
}

function chunkBase(vaultPrefix: string, uploadId: string, attempt: number, chunkIndex: number): string {
  return `${attemptPrefix(vaultPrefix, uploadId, attempt)}chunk-${String(chunkIndex).padStart(5, "0")}`;
}

/** The chunk's node records (a JSON array, one node per line: lib/ingest/vault-files.ts `chunkFile`), written by the split. */
export function chunkInputKey(vaultPrefix: string, uploadId: string, attempt: number, chunkIndex: number): string {
  return `${chunkBase(vaultPrefix, uploadId, attempt, chunkIndex)}.input.json`;
}

/** The chunk's vectors (.npy, one row per input record, same order), written by the embedder. */
export function chunkVectorsKey(vaultPrefix: string, uploadId: string, attempt: number, chunkIndex: number): string {
  return `${chunkBase(vaultPrefix, uploadId, attempt, chunkIndex)}.vectors.npy`;
}

/** The chunk's search segment part (lib/search/segments.ts `encodeSegmentPart`), written by the embedder with its vectors. */
export function chunkSegmentPartKey(vaultPrefix: string, uploadId: string, attempt: number, chunkIndex: number): string {
  return `${chunkBase(vaultPrefix, uploadId, attempt, chunkIndex)}.segment.bin`;
}

/**
 * The chunk's clustering sample (lib/vectors/sample-file.ts), written by the embedder for a large upload
 * so the merge can fit the topic clusters before the rows stream past.
 */
export function chunkSampleKey(vaultPrefix: string, uploadId: string, attempt: number, chunkIndex: number): string {
  return `${chunkBase(vaultPrefix, uploadId, attempt, chunkIndex)}.sample.bin`;
}
