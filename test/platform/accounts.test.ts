import { describe, expect, it } from "vitest";
import { describeAccount, signUp } from "../../lib/accounts/accounts";
import { createS3Client } from "../../lib/store/client";
import { getConfig } from "../../lib/config";
import { getStore } from "../../lib/store/client";
import { getJson } from "../../lib/store/objects";
import { uniqueEmail } from "../support/api";
import { useTestStack } from "../support/stack";

const ctx = useTestStack({ consumers: false });

describe("sign-up", () => {
  it("creates the user, a vault with prefix users/{uuid}, a free tier, and vault.json in the store", async () => {
    const email = uniqueEmail("signup");
    const answer = await ctx.api.signUp(email);

    expect(answer.status).toBe(201);
    const userId: string = answer.body.user_id;
    const vault = await ctx.db.query("SELECT * FROM personal.vaults WHERE user_id = $1", [userId]);
    expect(vault.rows[0]).toMatchObject({ prefix: `users/${userId}`, node_count: 0 });
    expect((await ctx.api.me(answer.body.token)).body.vault).toMatchObject({ status: "empty", node_count: 0 });
    expect(vault.rows[0].provisioned_at).toBeInstanceOf(Date);
    const tier = await ctx.db.query("SELECT tier, messages_today FROM personal.user_tiers WHERE user_id = $1", [userId]);
    expect(tier.rows).toEqual([{ tier: "free", messages_today: 0 }]);
    const manifest = await getJson<Record<string, any>>(getStore(), `users/${userId}/vault.json`);
    expect(manifest).toMatchObject({ schema_version: 1, user_id: userId, prefix: `users/${userId}`, vault_id: vault.rows[0].id });
    expect(Object.keys(manifest!.layout)).toEqual(["uploads", "corpus", "vectors", "indexes", "exports"]);
  });

  it("answers with an HttpOnly SameSite=Lax session cookie and the same token in the body", async () => {
    const answer = await ctx.api.signUp(uniqueEmail("cookie"));

    const setCookie = answer.headers.get("set-cookie") ?? "";
    expect(setCookie).toContain(`session_id=${answer.body.token}`);
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Lax");
    expect(setCookie).not.toContain("Secure");
  });

  it("stores only a hash of the session token and a scrypt hash of the password", async () => {
    const answer = await ctx.api.signUp(uniqueEmail("hashes"), "my secret passphrase");

    const user = await ctx.db.query("SELECT password_hash FROM personal.users WHERE id = $1", [answer.body.user_id]);
    expect(user.rows[0].password_hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(user.rows[0].password_hash).not.toContain("my secret passphrase");
    const sessions = await ctx.db.query("SELECT token_hash FROM personal.sessions WHERE user_id = $1", [answer.body.user_id]);
    expect(sessions.rows).toHaveLength(1);
    expect(Buffer.from(sessions.rows[0].token_hash).toString("base64url")).not.toBe(answer.body.token);
  });

  it("refuses an e-mail address already taken, whatever its case, with 409", async () => {
    const email = uniqueEmail("taken");
    await ctx.api.signUp(email);

    const again = await ctx.api.signUp(`  ${email.toUpperCase()} `);

    expect(again.status).toBe(409);
    expect(again.body).toEqual({ error: "email_taken", message: expect.stringContaining("already exists") });
  });

  it.each([
    ["an invalid e-mail address", { email: "not-an-address", password: "a long enough passphrase" }, /e-mail/],
    ["a short password", { email: uniqueEmail("weak"), password: "short" }, /at least 8/],
    ["a common password", { email: uniqueEmail("common"), password: "password123" }, /too common/],
    ["a missing password", { email: uniqueEmail("missing") }, /password/],
  ])("refuses %s with 400 and a readable message", async (_case, body, message) => {
    const answer = await ctx.api.call("POST", "/api/personal/auth/signup", { body });

    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe("invalid_request");
    expect(answer.body.message).toMatch(message);
  });

  it("answers a body that is not JSON with 400, not a stack trace", async () => {
    const answer = await ctx.api.call("POST", "/api/personal/auth/signup", { body: "{not json", headers: { "content-type": "application/json" } });

    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: "invalid_request", message: "The request body must be JSON." });
  });
});

describe("me, log-in and log-out", () => {
  it("shows the account and its vault to a bearer token and to the cookie alike", async () => {
    const email = uniqueEmail("me");
    const { body } = await ctx.api.signUp(email);

    const byToken = await ctx.api.me(body.token);
    const byCookie = await ctx.api.call("GET", "/api/personal/me", { cookie: `session_id=${body.token}` });

    const expected = { user_id: body.user_id, email, tier: "free", vault: { prefix: `users/${body.user_id}`, status: "empty", node_count: 0, total_bytes: 0 } };
    expect(byToken).toMatchObject({ status: 200, body: expected });
    expect(byCookie).toMatchObject({ status: 200, body: expected });
  });

  it("refuses /me without a session, or with a made-up one, with 401", async () => {
    expect((await ctx.api.call("GET", "/api/personal/me")).status).toBe(401);
    expect((await ctx.api.me("A".repeat(43))).status).toBe(401);
  });

  it("logs in with any capitalisation of the address and ends the session on log-out", async () => {
    const email = uniqueEmail("login");
    await ctx.api.signUp(email, "the right passphrase");

    const login = await ctx.api.logIn(email.toUpperCase(), "the right passphrase");
    expect(login.status).toBe(200);
    expect((await ctx.api.me(login.body.token)).status).toBe(200);

    const logout = await ctx.api.call("POST", "/api/personal/auth/logout", { token: login.body.token });
    expect(logout.status).toBe(204);
    expect(logout.headers.get("set-cookie")).toContain("Max-Age=0");
    expect((await ctx.api.me(login.body.token)).status).toBe(401);
  });

  it("answers a wrong password and an unknown address with the same 401", async () => {
    const email = uniqueEmail("wrong");
    await ctx.api.signUp(email);

    const wrong = await ctx.api.logIn(email, "not the passphrase");
    const unknown = await ctx.api.logIn(uniqueEmail("nobody"), "not the passphrase");

    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
  });

  it("throttles an address after 5 failed log-ins from one client, even for the right password", async () => {
    const email = uniqueEmail("throttle");
    await ctx.api.signUp(email, "the right passphrase");
    for (let attempt = 0; attempt < 5; attempt += 1) {
      expect((await ctx.api.logIn(email, `guess number ${attempt}`)).status).toBe(401);
    }

    const blocked = await ctx.api.logIn(email, "the right passphrase");

    expect(blocked.status).toBe(429);
    expect(blocked.body.error).toBe("login_throttled");
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("refuses an expired session", async () => {
    const { body } = await ctx.api.signUp(uniqueEmail("expired"));
    await ctx.db.query("UPDATE personal.sessions SET expires_at = now() - interval '1 second' WHERE user_id = $1", [body.user_id]);

    expect((await ctx.api.me(body.token)).status).toBe(401);
  });
});

describe("vault provisioning when the store is unreachable", () => {
  it("still signs up, then writes vault.json on first use once the store is back", async () => {
    const config = getConfig();
    const unreachable = { client: createS3Client({ ...config.store, endpoint: "http://127.0.0.1:9" }), presignClient: getStore().client, bucket: config.store.bucket };
    unreachable.client.config.maxAttempts = () => Promise.resolve(1);

    const account = await signUp({ db: ctx.db, store: unreachable, sessionTtlDays: 1 }, { email: uniqueEmail("offline"), password: "a long enough passphrase" });

    const before = await ctx.db.query("SELECT provisioned_at FROM personal.vaults WHERE user_id = $1", [account.userId]);
    expect(before.rows[0].provisioned_at).toBeNull();
    expect(await getJson(getStore(), `users/${account.userId}/vault.json`)).toBeUndefined();

    const described = await describeAccount({ db: ctx.db, store: getStore() }, account.userId);

    expect(described.vault.prefix).toBe(`users/${account.userId}`);
    const after = await ctx.db.query("SELECT provisioned_at FROM personal.vaults WHERE user_id = $1", [account.userId]);
    expect(after.rows[0].provisioned_at).toBeInstanceOf(Date);
    expect(await getJson(getStore(), `users/${account.userId}/vault.json`)).toMatchObject({ user_id: account.userId });
  });
});
