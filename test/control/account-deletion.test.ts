import { randomUUID } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { deleteAccount, resumeDeletions } from "../../lib/accounts/delete-account";
import { getStore } from "../../lib/store/client";
import { sweepVaultFiles } from "../../lib/vaults/sweeper";
import { chatgptExport, conversations } from "../support/exports";
import { crashingStore, InjectedCrash } from "../support/faults";
import { uploadBytes } from "../support/ingest";
import { useTestStack } from "../support/stack";
import { importConversations, newUser, type TestUser } from "../search/support";
import { listKeys, rowsMentioning, whileAMergeCommits } from "./support";

const ctx = useTestStack();
const PASSWORD = "a long enough passphrase";

const deleteMe = (token: string, password = PASSWORD) => ctx.api.call("DELETE", "/api/personal/me", { token, body: { password } });

/** What is left of an account: objects under its prefix, and rows naming it anywhere. */
async function remains(user: TestUser, extra: string[] = []) {
  return { objects: await listKeys(`users/${user.userId}/`), rows: await rowsMentioning(ctx.db, [user.userId, user.email, ...extra]) };
}

async function accountWithMemories(label: string): Promise<TestUser & { vaultId: string }> {
  const user = await newUser(ctx.api, ctx.db, label, "premium");
  await importConversations(ctx.api, user, conversations(label, 4, 2, "beekeeping"));
  // The upload reads complete at the switch; the merge's invocation deletes its work files after it.
  await vi.waitFor(() => expect(ctx.stack.pollers.reduce!.stats().inFlight).toBe(0), { timeout: 30_000, interval: 50 });
  const { rows } = await ctx.db.query("SELECT id FROM personal.vaults WHERE user_id = $1", [user.userId]);
  return { ...user, vaultId: rows[0].id };
}

const sweepNow = () => sweepVaultFiles({ db: ctx.db, store: getStore(), deletionTimeoutSeconds: 0, emptyingTimeoutSeconds: 3600 });

describe("DELETE /me", () => {
  it("refuses a wrong password and changes nothing", async () => {
    const user = await accountWithMemories("wrong-password");
    const before = await listKeys(`users/${user.userId}/`);

    const answer = await deleteMe(user.token, "not my password at all");

    expect(answer.status).toBe(403);
    expect(answer.body.error).toBe("wrong_password");
    expect((await ctx.api.me(user.token)).status).toBe(200);
    expect(await listKeys(`users/${user.userId}/`)).toEqual(before);
  });

  it("removes every object and every row of the account, with an upload in flight at the time", async () => {
    const user = await accountWithMemories("in-flight");
    const accessToken = (await ctx.api.call("POST", "/api/personal/tokens", { token: user.token, body: { name: "mcp" } })).body.token;
    const inFlight = await uploadBytes(ctx.api, user.token, "conversations.json", chatgptExport(conversations("in-flight-2", 30, 3, "sailing")));
    const second = await ctx.api.logIn(user.email);

    const answer = await deleteMe(user.token);

    expect(answer.status).toBe(204);
    expect(answer.headers.get("set-cookie")).toMatch(/session_id=;/);
    // Revoked at once: every session and token of the account.
    expect((await ctx.api.me(second.body.token)).status).toBe(401);
    expect((await ctx.api.call("GET", "/api/personal/vault/status", { token: accessToken })).status).toBe(401);
    // The in-flight upload's workers find nothing to act on; whatever they wrote late, the sweeper removes.
    await expect
      .poll(async () => {
        await sweepNow();
        return remains(user, [user.vaultId, inFlight]);
      }, { timeout: 60_000, interval: 1000 })
      .toEqual({ objects: [], rows: {} });
  });

  it("lets the e-mail address sign up again, to a new and empty vault", async () => {
    const user = await accountWithMemories("again");
    await deleteMe(user.token);

    const again = await ctx.api.signUp(user.email);

    expect(again.status).toBe(201);
    expect(again.body.user_id).not.toBe(user.userId);
    expect((await ctx.api.me(again.body.token)).body.vault.node_count).toBe(0);
    expect((await ctx.api.logIn(user.email)).body.user_id).toBe(again.body.user_id);
  });

  it("finishes a deletion that crashed half-way when the sweeper runs, and a repeat changes nothing", async () => {
    const user = await accountWithMemories("crash");
    const { store, fault } = crashingStore(getStore(), "DeleteObjectCommand");

    await expect(deleteAccount({ db: ctx.db, store }, user.userId, { password: PASSWORD, client: "203.0.113.9" })).rejects.toBeInstanceOf(InjectedCrash);
    expect(fault.fired).toBe(1);
    expect((await ctx.api.me(user.token)).status).toBe(401);
    expect((await remains(user)).objects.length).toBeGreaterThan(0);

    expect(await resumeDeletions({ db: ctx.db, store: getStore() }, { olderThanSeconds: 0 })).toBe(1);
    expect(await remains(user, [user.vaultId])).toEqual({ objects: [], rows: {} });
    expect(await resumeDeletions({ db: ctx.db, store: getStore() }, { olderThanSeconds: 0 })).toBe(0);
  });

  it("is not undone by a merge committing at the same moment (Postgres picks the deletion as a deadlock's victim: it is retried)", async () => {
    const user = await accountWithMemories("deadlock");
    // The deletion's cascade locks the user, the vault, then the memories: the other way round.
    const answer = await whileAMergeCommits(ctx.db, user.vaultId, "DELETE FROM personal.users", () => deleteMe(user.token));

    expect(answer.status).toBe(204);
    expect(await remains(user, [user.vaultId])).toEqual({ objects: [], rows: {} });
  });

  it("removes a file sent later with a link issued before the deletion (its event, or else the sweeper)", async () => {
    const user = await accountWithMemories("late-put");
    const created = await ctx.api.call("POST", "/api/personal/vault/uploads", { token: user.token, body: { filename: "conversations.json", size: 200 } });
    await deleteMe(user.token);

    const body = Buffer.alloc(200, 32);
    const put = await fetch(created.body.url, { method: "PUT", headers: created.body.headers, body });
    expect(put.status).toBe(200);

    // Its event finds no upload and deletes it; a sweep takes it if the event is lost or comes late.
    await expect
      .poll(async () => {
        await sweepNow();
        return remains(user, [created.body.upload_id]);
      }, { timeout: 30_000, interval: 1000 })
      .toEqual({ objects: [], rows: {} });
  });

  it("forgets a store event of the account recorded after the deletion and after its file was gone", async () => {
    // The webhook sends an event to the queue before its record commits, so the split can delete the
    // late file and its record first, and the record then commits: it names the account's folder,
    // where no object is left for the sweeper to find.
    const user = await accountWithMemories("late-event");
    await deleteMe(user.token);
    const key = `users/${user.userId}/uploads/${randomUUID()}/conversations.json`;
    await ctx.db.query("INSERT INTO personal.store_events (event_id, object_key, forwarded_at) VALUES ($1, $2, now())", [`late-${randomUUID()}`, key]);
    const living = await newUser(ctx.api, ctx.db, "late-event-neighbour", "free");
    const theirs = `users/${living.userId}/uploads/${randomUUID()}/conversations.json`;
    await ctx.db.query("INSERT INTO personal.store_events (event_id, object_key) VALUES ($1, $2)", [`kept-${randomUUID()}`, theirs]);

    await sweepNow();

    expect(await remains(user)).toEqual({ objects: [], rows: {} });
    expect((await ctx.db.query("SELECT 1 FROM personal.store_events WHERE object_key = $1", [theirs])).rowCount).toBe(1);
  });

  it("cannot be called with an access token, nor delete anyone else", async () => {
    const alice = await newUser(ctx.api, ctx.db, "alice", "free");
    const bob = await newUser(ctx.api, ctx.db, "bob", "free");
    const token = (await ctx.api.call("POST", "/api/personal/tokens", { token: alice.token, body: { name: "mcp" } })).body.token;

    expect((await deleteMe(token)).status).toBe(403);
    // Bob's session with Alice's password deletes nobody: the password is checked against Bob's account.
    expect((await deleteMe(bob.token, PASSWORD.replace("long", "short"))).status).toBe(403);
    expect((await ctx.api.me(alice.token)).status).toBe(200);
    expect(randomUUID()).not.toBe(alice.userId);
  });
});
