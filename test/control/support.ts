import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import type pg from "pg";
import { getStore } from "../../lib/store/client";

/** Every key in the store under `prefix`, listed (not assumed). */
export async function listKeys(prefix: string): Promise<string[]> {
  const store = getStore();
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await store.client.send(new ListObjectsV2Command({ Bucket: store.bucket, Prefix: prefix, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((object) => object.Key!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/**
 * Rows anywhere in the personal schema that mention any of `needles` (ids, an e-mail address, a key
 * prefix), by table: every table is read, so a table added later is checked too.
 */
export async function rowsMentioning(db: pg.Pool, needles: string[]): Promise<Record<string, number>> {
  const { rows: tables } = await db.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'personal' AND table_type = 'BASE TABLE'");
  const found: Record<string, number> = {};
  for (const { table_name } of tables) {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM personal.${table_name} t WHERE row_to_json(t)::text ILIKE ANY($1::text[])`,
      [needles.map((needle) => `%${needle}%`)],
    );
    if (rows[0]!.n > 0) found[table_name] = rows[0]!.n;
  }
  return found;
}
