import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { beforeAll, describe, expect, it } from "vitest";
import { createIndexCache, type VaultVersionRef } from "../../lib/search/index-cache";
import { getStore } from "../../lib/store/client";
import { getJson, putJson } from "../../lib/store/objects";
import { findVaultByUser } from "../../lib/vaults/provision";
import { versionKeys } from "../../lib/vaults/versions";
import { fillerConversations, importConversations, newUser, search, type TestUser } from "./support";
import { useTestStack } from "../support/stack";

const ctx = useTestStack();
const MARCH_2024 = Date.UTC(2024, 2, 10) / 1000;
const JUNE_2023 = Date.UTC(2023, 5, 1) / 1000;
let alice: TestUser;

beforeAll(async () => {
  alice = await newUser(ctx.api, ctx.db, "alice");
  await importConversations(ctx.api, alice, [
    {
      id: "alice-desk-order",
      title: "Walnut desk delivery",
      startTime: MARCH_2024,
      turns: [
        ["My order number is ORD-88412, where is my walnut desk?", "Order ORD-88412 ships on Friday from the Oslo warehouse."],
        ["Can I change the delivery address?", "Yes, until the order leaves the warehouse."],
      ],
    },
    {
      id: "alice-invoice-code",
      title: "Invoice helper",
      startTime: JUNE_2023,
      turns: [["Why does calculateInvoiceTotal return NaN?", "calculateInvoiceTotal adds strings; parse the amounts with Number() first."]],
    },
    ...fillerConversations("alice", 30, "order tracking"),
  ]);
}, 120_000);

describe("search", () => {
  it("finds an exact order number at rank 1 among many memories about orders", async () => {
    const answer = await search(ctx.api, alice.token, { q: "ORD-88412" });

    expect(answer.status).toBe(200);
    expect(answer.body.results[0]).toMatchObject({
      conversation_id: "alice-desk-order",
      conversation_title: "Walnut desk delivery",
      source: "openai",
      kind: "exchange",
      source_url: "https://chatgpt.com/c/alice-desk-order",
      human: "My order number is ORD-88412, where is my walnut desk?",
    });
    expect(answer.body.results[0].snippet).toContain("**ORD-88412**");
    expect(answer.body.results[0].created_at.slice(0, 10)).toBe("2024-03-10");
    expect(Date.parse(answer.body.results[0].imported_at)).toBeGreaterThan(Date.parse(answer.body.results[0].created_at));
    expect(answer.body.version).toBe(1);
    expect(typeof answer.body.took_ms).toBe("number");
  });

  it("finds a function name at rank 1, typed in its own case", async () => {
    const answer = await search(ctx.api, alice.token, { q: "calculateInvoiceTotal NaN" });

    expect(answer.body.results[0].conversation_id).toBe("alice-invoice-code");
  });

  it("returns k results ranked by a decreasing fused score", async () => {
    const answer = await search(ctx.api, alice.token, { q: "order tracking delivery", k: 7 });

    expect(answer.body.results).toHaveLength(7);
    const scores = answer.body.results.map((result: { score: number }) => result.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it("filters by date (when it was said), conversation, source and kind", async () => {
    const q = "walnut desk invoice order";
    const since2024 = await search(ctx.api, alice.token, { q, from: "2024-01-01", k: 50 });
    const upTo2023 = await search(ctx.api, alice.token, { q, to: "2023-12-31", k: 50 });
    const oneConversation = await search(ctx.api, alice.token, { q, conversation_id: "alice-invoice-code" });
    const claudeOnly = await search(ctx.api, alice.token, { q, source: "anthropic" });
    const profiles = await search(ctx.api, alice.token, { q, kind: "profile" });

    expect(since2024.body.results.length).toBeGreaterThan(0);
    expect(since2024.body.results.every((r: { created_at: string }) => r.created_at >= "2024-01-01")).toBe(true);
    expect(upTo2023.body.results.map((r: { conversation_id: string }) => r.conversation_id)).toContain("alice-invoice-code");
    expect(upTo2023.body.results.every((r: { created_at: string }) => r.created_at < "2024-01-01")).toBe(true);
    expect(oneConversation.body.results.map((r: { conversation_id: string }) => r.conversation_id)).toEqual(["alice-invoice-code"]);
    expect(claudeOnly.body.results).toEqual([]);
    expect(profiles.body.results).toEqual([]);
  });

  it("answers 400 with a message to an empty, an over-long query, or a k out of range", async () => {
    const empty = await search(ctx.api, alice.token, { q: "   " });
    const long = await search(ctx.api, alice.token, { q: "x".repeat(2001) });
    const bigK = await search(ctx.api, alice.token, { q: "desk", k: 51 });
    const badDate = await search(ctx.api, alice.token, { q: "desk", from: "last tuesday" });

    expect(empty.status).toBe(400);
    expect(empty.body).toEqual({ error: "invalid_request", message: "Type something to search for." });
    expect(long.status).toBe(400);
    expect(long.body.message).toContain("2000 characters");
    expect(bigK.status).toBe(400);
    expect(badDate.body.message).toContain("ISO date");
  });

  it("answers an empty list for a vault with nothing imported yet", async () => {
    const newcomer = await newUser(ctx.api, ctx.db, "newcomer");

    const answer = await search(ctx.api, newcomer.token, { q: "anything" });

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ results: [], version: 0 });
  });

  it("refuses a free user with 403 feature_not_in_plan, and lets the same user search once premium", async () => {
    const user = await newUser(ctx.api, ctx.db, "free", "free");

    const refused = await search(ctx.api, user.token, { q: "desk" });
    await ctx.db.query("UPDATE personal.user_tiers SET tier = 'premium' WHERE user_id = $1", [user.userId]);
    const allowed = await search(ctx.api, user.token, { q: "desk" });

    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ error: "feature_not_in_plan", feature: "memory_search", message: "Memory search is part of the Premium plan; your account is on the Free plan." });
    expect(allowed.status).toBe(200);
  });

  it("answers 401 without a log-in", async () => {
    expect((await ctx.api.call("GET", "/api/personal/vault/search?q=desk")).status).toBe(401);
  });
});

describe("memories", () => {
  it("returns a memory with the turns around it in its conversation", async () => {
    const hit = (await search(ctx.api, alice.token, { q: "ORD-88412" })).body.results[0];

    const answer = await ctx.api.call("GET", `/api/personal/vault/memories/${hit.id}`, { token: alice.token });

    expect(answer.status).toBe(200);
    expect(answer.body.memory).toMatchObject({ id: hit.id, human: hit.human, source_url: hit.source_url });
    expect(answer.body.before).toEqual([]);
    expect(answer.body.after.map((m: { human: string }) => m.human)).toEqual(["Can I change the delivery address?"]);
  });

  it("opens a memory for a free plan too: chat answers cite memories on every plan, and reading one is not searching", async () => {
    const hit = (await search(ctx.api, alice.token, { q: "ORD-88412" })).body.results[0];
    await ctx.db.query("UPDATE personal.user_tiers SET tier = 'free' WHERE user_id = $1", [alice.userId]);
    try {
      const answer = await ctx.api.call("GET", `/api/personal/vault/memories/${hit.id}`, { token: alice.token });

      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(answer.body.memory).toMatchObject({ id: hit.id, human: hit.human });
      expect((await search(ctx.api, alice.token, { q: "ORD-88412" })).status, "search itself stays premium").toBe(403);
    } finally {
      await ctx.db.query("UPDATE personal.user_tiers SET tier = 'premium' WHERE user_id = $1", [alice.userId]);
    }
  });

  it("answers 404 for an id that is not in the vault", async () => {
    const answer = await ctx.api.call("GET", `/api/personal/vault/memories/${"0".repeat(32)}`, { token: alice.token });
    expect(answer.status).toBe(404);
    expect(answer.body.error).toBe("memory_not_found");
  });
});

describe("versions", () => {
  it("searches the new version as soon as an upload is merged", async () => {
    const user = await newUser(ctx.api, ctx.db, "versions");
    await importConversations(ctx.api, user, fillerConversations("v1", 3, "sailing"));
    const before = await search(ctx.api, user.token, { q: "zeppelin hangar" });

    await importConversations(ctx.api, user, [{ id: "v2-zeppelin", title: "Airships", turns: [["Where was the zeppelin hangar?", "The zeppelin hangar stood in Friedrichshafen."]] }]);
    const after = await search(ctx.api, user.token, { q: "zeppelin hangar" });

    expect(before.body.version).toBe(1);
    expect(before.body.results.some((r: { conversation_id: string }) => r.conversation_id === "v2-zeppelin")).toBe(false);
    expect(after.body.version).toBe(2);
    expect(after.body.results[0].conversation_id).toBe("v2-zeppelin");
  });

  it("builds the indexes of a version merged before search existed on first use", async () => {
    const user = await newUser(ctx.api, ctx.db, "legacy");
    await importConversations(ctx.api, user, [{ id: "legacy-kayak", title: "Kayaks", turns: [["Which kayak paddle length?", "A 220 cm kayak paddle suits you."]] }]);
    const keys = versionKeys(`users/${user.userId}`, 1);
    await getStore().client.send(new DeleteObjectCommand({ Bucket: getStore().bucket, Key: keys.searchManifest }));

    const answer = await search(ctx.api, user.token, { q: "kayak paddle" });

    expect(answer.body.results[0].conversation_id).toBe("legacy-kayak");
  });
});

describe("outdated indexes", () => {
  it("rebuilds a version's indexes made with other graph settings than today's", async () => {
    const user = await newUser(ctx.api, ctx.db, "outdated");
    await importConversations(ctx.api, user, [{ id: "old-canoe", title: "Canoes", turns: [["Which canoe paddle?", "A bent-shaft canoe paddle."]] }]);
    const keys = versionKeys(`users/${user.userId}`, 1);
    const manifest = (await getJson<Record<string, any>>(getStore(), keys.searchManifest))!;
    await putJson(getStore(), keys.searchManifest, { ...manifest, vector_index: { ...manifest.vector_index, quantization: "i8" } });

    const answer = await search(ctx.api, user.token, { q: "canoe paddle" });

    expect(answer.body.results[0].conversation_id).toBe("old-canoe");
    expect((await getJson<Record<string, any>>(getStore(), keys.searchManifest))!.vector_index.quantization).toBe("f16");
  });
});

describe("index cache", () => {
  async function refOf(user: TestUser): Promise<VaultVersionRef> {
    const vault = (await findVaultByUser(ctx.db, user.userId))!;
    return { vaultId: vault.id, prefix: vault.prefix, version: vault.current_version, embedder: { embedder: "local", model: vault.embedder_model!, dim: vault.embedding_dim! } };
  }

  it("keeps versions within its byte budget, evicting the least recently used", async () => {
    const other = await newUser(ctx.api, ctx.db, "cache");
    await importConversations(ctx.api, other, fillerConversations("cache", 2, "knitting"));
    const [a, b] = [await refOf(alice), await refOf(other)];
    const roomy = createIndexCache({ maxBytes: 1024 ** 3 });
    const tight = createIndexCache({ maxBytes: 1 });

    await roomy.get(getStore(), a);
    await roomy.get(getStore(), b);
    await roomy.get(getStore(), a);
    await tight.get(getStore(), a);
    const loadedB = await tight.get(getStore(), b);

    expect(roomy.keys()).toEqual([`${b.vaultId}@${b.version}`, `${a.vaultId}@${a.version}`]);
    expect(tight.keys()).toEqual([`${b.vaultId}@${b.version}`]);
    expect(tight.bytes).toBe(loadedB.bytes);
    await Promise.all([roomy.clear(), tight.clear()]);
    expect(roomy.keys()).toEqual([]);
    expect(roomy.bytes).toBe(0);
  });
});
