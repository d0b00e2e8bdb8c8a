/**
 * Where a vault's objects live. Everything of one user sits under `users/{user_uuid}/`; nothing outside
 * that prefix is ever read or written on the user's behalf.
 */
export const VAULT_SCHEMA_VERSION = 1;

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

export const vaultLayout = {
  uploads: "uploads/",
  corpus: "corpus/",
  vectors: "vectors/",
  indexes: "indexes/",
  work: "work/",
  exports: "exports/",
} as const;

export function vaultPrefix(userId: string): string {
  return `users/${userId}`;
}

export function vaultKeys(prefix: string) {
  return {
    manifest: `${prefix}/vault.json`,
    uploads: `${prefix}/${vaultLayout.uploads}`,
    corpus: `${prefix}/${vaultLayout.corpus}`,
    vectors: `${prefix}/${vaultLayout.vectors}`,
    indexes: `${prefix}/${vaultLayout.indexes}`,
    work: `${prefix}/${vaultLayout.work}`,
    exports: `${prefix}/${vaultLayout.exports}`,
  };
}

const uploadKeyPattern = new RegExp(`^users/(${UUID})/uploads/(${UUID})/([^/]+)$`);

/**
 * Splits an object key of the form `users/{user_uuid}/uploads/{upload_uuid}/{file name}`; anything else
 * (another folder, a nested path, a malformed id) is `undefined`.
 */
export function parseUploadKey(key: string): { userId: string; uploadId: string; fileName: string } | undefined {
  const match = uploadKeyPattern.exec(key);
  if (!match) return undefined;
  return { userId: match[1]!, uploadId: match[2]!, fileName: match[3]! };
}

/** The `vault.json` written when a vault is provisioned: it makes the prefix exist and documents the layout. */
export function vaultManifest(vault: { id: string; userId: string; prefix: string; createdAt: Date }) {
  return {
    schema_version: VAULT_SCHEMA_VERSION,
    vault_id: vault.id,
    user_id: vault.userId,
    prefix: vault.prefix,
    created_at: vault.createdAt.toISOString(),
    layout: {
      uploads: `${vaultLayout.uploads}{upload_id}/{file name}: the exports as uploaded`,
      corpus: `${vaultLayout.corpus}v{version}/nodes.json: one record per memory, one per line`,
      vectors: `${vaultLayout.vectors}v{version}/nodes.npy: float32 (N, dim), row i is the embedding of node i of nodes.json`,
      indexes: `${vaultLayout.indexes}v{version}/: clusters.json (topic clusters over the vectors) and the search indexes (search.json, vectors.usearch, lexical.bin, memories.bin)`,
      exports: `${vaultLayout.exports}v{version}/: a zip of that version made for download (POST /api/personal/vault/export)`,
    },
    versions:
      "Each merge writes a new version of all three files, then switches the vault's current version in one database transaction; read the version the API reports (GET /api/personal/vault/status), never a mix.",
  };
}
