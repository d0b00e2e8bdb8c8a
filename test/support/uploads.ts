import type pg from "pg";

/** The upload's row as stored. */
export async function uploadRow(db: pg.Pool, uploadId: string) {
  return (await db.query("SELECT * FROM personal.vault_uploads WHERE id = $1", [uploadId])).rows[0];
}

/**
 * Makes an upload look as if nothing had happened to it for `seconds`, as after its worker died: the
 * touch trigger that stamps every update is bypassed for this one statement.
 */
export async function backdate(db: pg.Pool, uploadId: string, seconds: number): Promise<void> {
  const client = await db.connect();
  try {
    await client.query("BEGIN");
    await client.query("SET LOCAL session_replication_role = replica");
    await client.query(
      "UPDATE personal.vault_uploads SET updated_at = now() - make_interval(secs => $2), uploaded_at = uploaded_at - make_interval(secs => $2) WHERE id = $1",
      [uploadId, seconds],
    );
    await client.query("COMMIT");
  } finally {
    client.release();
  }
}
