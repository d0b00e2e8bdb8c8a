import { CreateQueueCommand } from "@aws-sdk/client-sqs";
import { describe, expect, it, vi } from "vitest";
import { getPool } from "../../lib/db/pool";
import { getSqs } from "../../lib/queues/client";
import { getStore } from "../../lib/store/client";
import { emptyVault as emptyVaultDirectly } from "../../lib/vaults/empty-vault";
import { chatgptExport, conversations } from "../support/exports";
import { uploadBytes } from "../support/ingest";
import { useTestStack } from "../support/stack";
import { importConversations, newUser, search, type TestUser } from "../search/support";
import { listKeys, whileAMergeCommits } from "./support";

const ctx = useTestStack();
const PASSWORD = "a long enough passphrase";

const emptyVault = (token: string, password = PASSWORD) => ctx.api.call("DELETE", "/api/personal/vault", { token, body: { password } });

async function userWithMemories(label: string, theme = "beekeeping"): Promise<TestUser & { vaultId: string; prefix: string }> {
  const user = await newUser(ctx.api, ctx.db, label, "premium");
  await importConversations(ctx.api, user, conversations(label, 4, 2, theme));
  // The merge's function goes on after the upload is complete (deleting its work files, building the
  // search graph): the vault's keys are settled once it has returned.
  await vi.waitFor(() => expect(ctx.stack.pollers.reduce!.stats().inFlight).toBe(0), { timeout: 30_000, interval: 50 });
  const { rows } = await ctx.db.query("SELECT id, prefix FROM personal.vaults WHERE user_id = $1", [user.userId]);
  return { ...user, vaultId: rows[0].id, prefix: rows[0].prefix };
}

/** Rows the vault still has in each table that holds its memories, claims and uploads. */
async function vaultRows(vaultId: string): Promise<Record<string, number>> {
  const count = async (sql: string) => (await ctx.db.query<{ n: number }>(sql, [vaultId])).rows[0]!.n;
  return {
    uploads: await count("SELECT count(*)::int AS n FROM personal.vault_uploads WHERE vault_id = $1"),
    exchanges: await count("SELECT count(*)::int AS n FROM personal.vault_exchanges WHERE vault_id = $1"),
    deferrals: await count("SELECT count(*)::int AS n FROM personal.upload_deferrals WHERE vault_id = $1"),
    chunks: await count("SELECT count(*)::int AS n FROM personal.upload_chunks c JOIN personal.vault_uploads u ON u.id = c.upload_id WHERE u.vault_id = $1"),
    storeEvents: await count("SELECT count(*)::int AS n FROM personal.store_events e JOIN personal.vaults v ON e.object_key LIKE v.prefix || '/%' WHERE v.id = $1"),
  };
}

const NO_ROWS = { uploads: 0, exchanges: 0, deferrals: 0, chunks: 0, storeEvents: 0 };

describe("DELETE /vault", () => {
  it("refuses a wrong password and changes nothing", async () => {
    const user = await userWithMemories("wrong-password");
    const before = await listKeys(`${user.prefix}/`);

    const answer = await emptyVault(user.token, "not my password at all");

    expect(answer.status).toBe(403);
    expect(answer.body.error).toBe("wrong_password");
    expect((await ctx.api.me(user.token)).body.vault.node_count).toBe(8);
    expect(await listKeys(`${user.prefix}/`)).toEqual(before);
  });

  it("empties the vault, with an upload in flight at the time, and keeps the account", async () => {
    const user = await userWithMemories("in-flight");
    const inFlight = await uploadBytes(ctx.api, user.token, "conversations.json", chatgptExport(conversations("in-flight-2", 30, 3, "sailing")));

    const answer = await emptyVault(user.token);

    expect(answer.status).toBe(202);
    // Version 2, or 3 when the upload's merge committed first (on a loaded machine it can finish that soon).
    const { rows: vault } = await ctx.db.query("SELECT current_version FROM personal.vaults WHERE id = $1", [user.vaultId]);
    expect(answer.body.version).toBe(vault[0].current_version);
    expect(answer.body.version).toBeGreaterThanOrEqual(2);
    // Every reader sees an empty vault at once.
    expect((await ctx.api.me(user.token)).body.vault).toMatchObject({ node_count: 0 });
    expect((await ctx.api.call("GET", "/api/personal/vault/memories", { token: user.token })).body).toMatchObject({ items: [], total: 0 });
    expect((await search(ctx.api, user.token, { q: "beekeeping" })).body.results).toEqual([]);
    expect((await ctx.api.call("GET", `/api/personal/vault/upload/${inFlight}`, { token: user.token })).status).toBe(404);
    // The store's event for the file just sent may be recorded after the emptying (the webhook records
    // an event as it forwards it, lib/webhooks/forward.ts); the split removes it when it finds no upload.
    expect(await vaultRows(user.vaultId)).toMatchObject({ ...NO_ROWS, storeEvents: expect.any(Number) });
    // Its files go once any merge under way has stopped, and whatever the cancelled upload's workers
    // were doing when the rows went, they leave nothing behind: only vault.json stays.
    await expect.poll(() => listKeys(`${user.prefix}/`), { timeout: 60_000, interval: 500 }).toEqual([`${user.prefix}/vault.json`]);
    await expect.poll(() => vaultRows(user.vaultId), { timeout: 30_000, interval: 200 }).toEqual(NO_ROWS);
    expect((await ctx.api.me(user.token)).status).toBe(200);
  }, 120_000);

  it("is not undone by a merge committing at the same moment (Postgres picks the emptying as a deadlock's victim: it is retried)", async () => {
    const user = await userWithMemories("deadlock");
    // The emptying locks the vault row, then deletes the memories: the other way round.
    const answer = await whileAMergeCommits(ctx.db, user.vaultId, "DELETE FROM personal.vault_exchanges", () => emptyVault(user.token));

    expect(answer.status).toBe(202);
    expect((await ctx.api.me(user.token)).body.vault.node_count).toBe(0);
    expect(await vaultRows(user.vaultId)).toEqual(NO_ROWS);
  });

  it("takes a new import afterwards as a first one, and search finds only the new memories", async () => {
    const user = await userWithMemories("again");
    await emptyVault(user.token);
    await expect.poll(() => listKeys(`${user.prefix}/`), { timeout: 60_000, interval: 500 }).toEqual([`${user.prefix}/vault.json`]);

    await importConversations(ctx.api, user, conversations("again-2", 3, 2, "pottery glazes"));

    const me = await ctx.api.me(user.token);
    expect(me.body.vault).toMatchObject({ node_count: 6 });
    expect((await ctx.api.call("GET", "/api/personal/vault/memories", { token: user.token })).body.total).toBe(6);
    const found = await search(ctx.api, user.token, { q: "pottery glazes" });
    expect(found.body.results.length).toBeGreaterThan(0);
    expect(JSON.stringify((await search(ctx.api, user.token, { q: "beekeeping" })).body)).not.toContain("beekeeping");
    // The same export as before the emptying is new again: nothing of it was remembered.
    await importConversations(ctx.api, user, conversations("again", 4, 2, "beekeeping"));
    expect((await ctx.api.me(user.token)).body.vault.node_count).toBe(14);
  }, 120_000);

  it("deletes a file sent later with a link issued before the emptying", async () => {
    const user = await userWithMemories("late-put");
    const created = await ctx.api.call("POST", "/api/personal/vault/uploads", { token: user.token, body: { filename: "conversations.json", size: 200 } });
    await emptyVault(user.token);
    await expect.poll(() => listKeys(`${user.prefix}/`), { timeout: 60_000, interval: 500 }).toEqual([`${user.prefix}/vault.json`]);

    const put = await fetch(created.body.url, { method: "PUT", headers: created.body.headers, body: Buffer.alloc(200, 32) });
    expect(put.status).toBe(200);

    // Its event finds no upload: the file is deleted, and nothing is recorded.
    await expect.poll(() => listKeys(`${user.prefix}/`), { timeout: 30_000, interval: 500 }).toEqual([`${user.prefix}/vault.json`]);
    expect(await vaultRows(user.vaultId)).toEqual(NO_ROWS);
    expect((await ctx.api.me(user.token)).body.vault.node_count).toBe(0);
  }, 120_000);
});

describe("an emptying whose file deletion never ran", () => {
  it("is finished by the hourly file sweeper once no merge of the vault can still be running, and not before", async () => {
    const user = await userWithMemories("lost-message");
    const others = await userWithMemories("bystander", "cheese making");
    const othersKeys = await listKeys(`${others.prefix}/`);
    // The reduce queue's message is lost (as when it is dead-lettered): sent where nothing consumes it.
    const { QueueUrl } = await getSqs().send(new CreateQueueCommand({ QueueName: "emptied-nowhere.fifo", Attributes: { FifoQueue: "true" } }));
    await emptyVaultDirectly({ db: getPool(), store: getStore(), sqs: getSqs(), reduceQueueUrl: QueueUrl! }, user.userId, { password: PASSWORD, client: "127.0.0.1" });
    const sweep = () => ctx.stack.schedules["sweep-vault-files"]!.runNow() as Promise<{ emptyingsFinished: number }>;
    const left = await listKeys(`${user.prefix}/`);
    expect(left.some((key) => key.includes("/uploads/")), "the export's original is still stored").toBe(true);

    expect(await sweep()).toMatchObject({ emptyingsFinished: 0 });
    expect(await listKeys(`${user.prefix}/`)).toEqual(left);

    await ctx.db.query("UPDATE personal.vaults SET emptied_at = emptied_at - interval '2 hours' WHERE id = $1", [user.vaultId]);
    expect(await sweep()).toMatchObject({ emptyingsFinished: 1 });

    expect(await listKeys(`${user.prefix}/`)).toEqual([`${user.prefix}/vault.json`]);
    expect(await listKeys(`${others.prefix}/`)).toEqual(othersKeys);
    expect(await sweep()).toMatchObject({ emptyingsFinished: 0 });
  }, 120_000);
});

describe("isolation", () => {
  it("empties only the caller's own vault, and never with an access token", async () => {
    const alice = await userWithMemories("alice", "violin practice");
    const bob = await userWithMemories("bob", "cheese making");
    const bobsKeys = await listKeys(`${bob.prefix}/`);
    const token = (await ctx.api.call("POST", "/api/personal/tokens", { token: alice.token, body: { name: "mcp" } })).body.token;

    expect((await emptyVault(token)).status).toBe(403);
    expect((await ctx.api.me(alice.token)).body.vault.node_count).toBe(8);

    expect((await emptyVault(alice.token)).status).toBe(202);
    await expect.poll(() => listKeys(`${alice.prefix}/`), { timeout: 60_000, interval: 500 }).toEqual([`${alice.prefix}/vault.json`]);

    expect((await ctx.api.me(bob.token)).body.vault.node_count).toBe(8);
    expect(await listKeys(`${bob.prefix}/`)).toEqual(bobsKeys);
    expect((await ctx.api.call("GET", "/api/personal/vault/memories", { token: bob.token })).body.total).toBe(8);
    expect((await vaultRows(bob.vaultId)).exchanges).toBe(8);
  }, 120_000);
});
