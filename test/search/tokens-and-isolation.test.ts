import { beforeAll, describe, expect, it } from "vitest";
import { importConversations, newUser, search, type TestUser } from "./support";
import { useTestStack } from "../support/stack";

const ctx = useTestStack();
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  alice = await newUser(ctx.api, ctx.db, "alice");
  bob = await newUser(ctx.api, ctx.db, "bob");
  await Promise.all([
    importConversations(ctx.api, alice, [
      { id: "alice-secret", title: "Alice's locker", turns: [["My locker code is QUOKKA-7731.", "Noted: locker code QUOKKA-7731."]] },
      { id: "alice-garden", title: "Tomatoes", turns: [["When do I plant tomatoes?", "Plant tomatoes after the last frost."]] },
    ]),
    importConversations(ctx.api, bob, [
      { id: "bob-secret", title: "Bob's safe", turns: [["The safe combination is PANGOLIN-4410.", "Noted: safe combination PANGOLIN-4410."]] },
      { id: "bob-garden", title: "Tomatoes too", turns: [["When do I plant tomatoes?", "Plant tomatoes after the last frost."]] },
    ]),
  ]);
}, 120_000);

async function createToken(user: TestUser, name = "test client") {
  const created = await ctx.api.call("POST", "/api/personal/tokens", { token: user.token, body: { name } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

describe("isolation", () => {
  it("never returns another user's memories, even for their exact words", async () => {
    const bobsWords = await search(ctx.api, alice.token, { q: "safe combination PANGOLIN-4410", k: 50 });
    const shared = await search(ctx.api, alice.token, { q: "plant tomatoes", k: 50 });

    expect(bobsWords.status).toBe(200);
    expect(bobsWords.body.results.map((r: { conversation_id: string }) => r.conversation_id).every((id: string) => id.startsWith("alice-"))).toBe(true);
    expect(JSON.stringify(bobsWords.body)).not.toContain("PANGOLIN");
    expect(shared.body.results.map((r: { conversation_id: string }) => r.conversation_id)).toContain("alice-garden");
    expect(JSON.stringify(shared.body)).not.toContain("bob-");
  });

  it("answers 404 to another user's memory id, with a session or with a token", async () => {
    const aliceMemory = (await search(ctx.api, alice.token, { q: "QUOKKA-7731" })).body.results[0];
    const bobToken = await createToken(bob);

    const withSession = await ctx.api.call("GET", `/api/personal/vault/memories/${aliceMemory.id}`, { token: bob.token });
    const withToken = await ctx.api.call("GET", `/api/personal/vault/memories/${aliceMemory.id}`, { token: bobToken.token });
    const own = await ctx.api.call("GET", `/api/personal/vault/memories/${aliceMemory.id}`, { token: alice.token });

    expect(aliceMemory.conversation_id).toBe("alice-secret");
    expect(withSession.status).toBe(404);
    expect(withToken.status).toBe(404);
    expect(JSON.stringify(withToken.body)).not.toContain("QUOKKA");
    expect(own.status).toBe(200);
  });
});

describe("personal access tokens", () => {
  it("are shown once, listed without the secret, and stored only as a hash", async () => {
    const created = await createToken(alice, "Claude Desktop");

    const listed = await ctx.api.call("GET", "/api/personal/tokens", { token: alice.token });
    const stored = await ctx.db.query("SELECT * FROM personal.access_tokens WHERE id = $1", [created.id]);

    expect(created.token).toMatch(/^cvt_[A-Za-z0-9_-]{43}$/);
    expect(listed.body.tokens).toContainEqual(expect.objectContaining({ id: created.id, name: "Claude Desktop", prefix: created.token.slice(0, 12), scope: "read" }));
    expect(JSON.stringify(listed.body)).not.toContain(created.token);
    expect(JSON.stringify(stored.rows[0])).not.toContain(created.token.slice(4));
    expect(stored.rows[0].token_hash).toHaveLength(32);
  });

  it("read the vault: search, memories, status", async () => {
    const { token } = await createToken(alice);

    const found = await search(ctx.api, token, { q: "QUOKKA-7731" });
    const status = await ctx.api.call("GET", "/api/personal/vault/status", { token });

    expect(found.status).toBe(200);
    expect(found.body.results[0].conversation_id).toBe("alice-secret");
    expect(status.status).toBe(200);
  });

  it("cannot upload, cancel uploads, mint tokens or revoke them (403 token_not_allowed)", async () => {
    const { token, id } = await createToken(alice);

    const attempts = await Promise.all([
      ctx.api.call("POST", "/api/personal/vault/uploads", { token, body: { filename: "conversations.json", size: 10 } }),
      ctx.api.call("DELETE", `/api/personal/vault/uploads/${crypto.randomUUID()}`, { token }),
      ctx.api.call("POST", "/api/personal/tokens", { token, body: { name: "another" } }),
      ctx.api.call("GET", "/api/personal/tokens", { token }),
      ctx.api.call("DELETE", `/api/personal/tokens/${id}`, { token }),
    ]);

    for (const attempt of attempts) {
      expect(attempt.status).toBe(403);
      expect(attempt.body.error).toBe("token_not_allowed");
    }
    expect((await search(ctx.api, token, { q: "tomatoes" })).status).toBe(200);
  });

  it("stop working at once when revoked (401), and only their owner can revoke them", async () => {
    const created = await createToken(alice);
    const byBob = await ctx.api.call("DELETE", `/api/personal/tokens/${created.id}`, { token: bob.token });
    expect(byBob.status).toBe(404);
    expect((await search(ctx.api, created.token, { q: "tomatoes" })).status).toBe(200);

    const revoked = await ctx.api.call("DELETE", `/api/personal/tokens/${created.id}`, { token: alice.token });
    const after = await search(ctx.api, created.token, { q: "tomatoes" });
    const listed = await ctx.api.call("GET", "/api/personal/tokens", { token: alice.token });

    expect(revoked.status).toBe(204);
    expect(after.status).toBe(401);
    expect(after.body.error).toBe("invalid_token");
    expect(listed.body.tokens.map((t: { id: string }) => t.id)).not.toContain(created.id);
  });

  it("are refused with 401 when made up", async () => {
    const answer = await search(ctx.api, `cvt_${"A".repeat(43)}`, { q: "tomatoes" });
    expect(answer.status).toBe(401);
  });
});
