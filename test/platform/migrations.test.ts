import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../lib/db/migrate";
import { startTestStack } from "../support/stack";

let stack: Awaited<ReturnType<typeof startTestStack>>;

beforeAll(async () => {
  stack = await startTestStack({ consumers: false });
});

afterAll(async () => {
  await stack?.cleanup();
});

async function personalTables(): Promise<string[]> {
  const client = new pg.Client({ connectionString: stack.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'personal' ORDER BY 1");
    return rows.map((row) => row.table_name);
  } finally {
    await client.end();
  }
}

describe("migrations", () => {
  it("create the personal schema, undo cleanly, and apply again", async () => {
    expect(await personalTables()).toEqual(expect.arrayContaining(["sessions", "user_tiers", "users", "vault_uploads", "vaults"]));

    const undone = await migrate(stack.databaseUrl, { direction: "down", count: Infinity });
    expect(undone.length).toBeGreaterThan(0);
    expect(await personalTables()).toEqual([]);

    const applied = await migrate(stack.databaseUrl);
    expect(applied).toEqual([...undone].reverse());
    expect(await personalTables()).toEqual(expect.arrayContaining(["users", "vaults", "vault_uploads", "user_tiers"]));
  });

  it("enforce the schema's states and checks", async () => {
    const client = new pg.Client({ connectionString: stack.databaseUrl });
    await client.connect();
    try {
      const user = await client.query("INSERT INTO personal.users (email, password_hash) VALUES ('check@example.com', 'x') RETURNING id");
      const userId = user.rows[0].id;
      await expect(client.query("INSERT INTO personal.users (email, password_hash) VALUES ('Upper@Example.com', 'x')")).rejects.toThrow(/check/);
      await expect(client.query("INSERT INTO personal.vaults (user_id, bucket, prefix) VALUES ($1, 'b', 'users/someone-else')", [userId])).rejects.toThrow(/vault_prefix_format/);
      const vault = await client.query("INSERT INTO personal.vaults (user_id, bucket, prefix) VALUES ($1, 'b', $2) RETURNING id", [userId, `users/${userId}`]);
      const upload = await client.query("INSERT INTO personal.vault_uploads (vault_id) VALUES ($1) RETURNING state", [vault.rows[0].id]);
      expect(upload.rows[0].state).toBe("awaiting_upload");
      await expect(client.query("INSERT INTO personal.vault_uploads (vault_id, state) VALUES ($1, 'weird')", [vault.rows[0].id])).rejects.toThrow(/check/);
      await expect(client.query("INSERT INTO personal.user_tiers (user_id, tier) VALUES ($1, 'gold')", [userId])).rejects.toThrow(/check/);
    } finally {
      await client.end();
    }
  });
});
