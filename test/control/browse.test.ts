import { beforeAll, describe, expect, it } from "vitest";
import { useTestStack } from "../support/stack";
import { fillerConversations, importConversations, newUser, type TestUser } from "../search/support";
import { listKeys } from "./support";

const ctx = useTestStack();
const MAY_2024 = Date.UTC(2024, 4, 2) / 1000;
const JAN_2022 = Date.UTC(2022, 0, 5) / 1000;
let alice: TestUser;
let bob: TestUser;

const get = (token: string, path: string, query: Record<string, string | number> = {}) =>
  ctx.api.call("GET", `/api/personal/vault/${path}?${new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]))}`, { token });

beforeAll(async () => {
  alice = await newUser(ctx.api, ctx.db, "alice", "free");
  bob = await newUser(ctx.api, ctx.db, "bob", "free");
  await importConversations(ctx.api, alice, [
    { id: "alice-newest", title: "Sourdough starter", startTime: MAY_2024, turns: [["My starter smells of acetone", "Feed it more often."], ["How warm?", "About 24 °C."]] },
    { id: "alice-oldest", title: "Tax return 2021", startTime: JAN_2022, turns: [["Which form for freelance income?", "Use the self-employment pages."]] },
    ...fillerConversations("alice", 12, "garden irrigation"),
  ]);
  await importConversations(ctx.api, bob, [{ id: "bob-only", title: "Bob's secret", turns: [["bob private words", "kept"]] }]);
}, 180_000);

describe("GET /vault/memories", () => {
  it("pages through every memory newest first, each page continuing where the last stopped", async () => {
    const seen: string[] = [];
    const dates: number[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const answer = await get(alice.token, "memories", { limit: 7, ...(cursor ? { cursor } : {}) });
      expect(answer.status).toBe(200);
      for (const item of answer.body.items) {
        seen.push(item.id);
        dates.push(Date.parse(item.created_at));
      }
      cursor = answer.body.next_cursor ?? undefined;
      if (!cursor) break;
    }

    expect(seen.length).toBe(2 + 1 + 12 * 2);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...dates].sort((a, b) => b - a)).toEqual(dates);
  });

  it("shows the newest conversation's turns first and the oldest last, with where each came from", async () => {
    const answer = await get(alice.token, "memories", { limit: 100 });

    expect(answer.body.items[0]).toMatchObject({ conversation_id: "alice-newest", conversation_title: "Sourdough starter", source: "openai", kind: "exchange" });
    expect(answer.body.items.at(-1)).toMatchObject({ conversation_id: "alice-oldest", human: "Which form for freelance income?" });
    expect(answer.body.items[0].upload_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.body.total).toBe(27);
    expect(answer.body.version).toBe(1);
  });

  it("filters by conversation, by source and by topic", async () => {
    const one = await get(alice.token, "memories", { conversation_id: "alice-newest" });
    expect(one.body.items.map((item: { human: string }) => item.human).sort()).toEqual(["How warm?", "My starter smells of acetone"]);
    expect(one.body.total).toBe(2);

    expect((await get(alice.token, "memories", { source: "anthropic" })).body).toMatchObject({ items: [], total: 0 });

    const topics = await get(alice.token, "topics");
    const topic = topics.body.topics[0];
    const inTopic = await get(alice.token, "memories", { cluster: topic.id, limit: 100 });
    expect(inTopic.body.total).toBe(topic.size);
    expect(inTopic.body.items.every((item: { cluster: number }) => item.cluster === topic.id)).toBe(true);
  });

  it("refuses a cursor it did not make and a page larger than 100", async () => {
    expect((await get(alice.token, "memories", { cursor: "not-a-cursor" })).status).toBe(400);
    expect((await get(alice.token, "memories", { limit: 101 })).status).toBe(400);
  });

  it("answers an empty page for a vault with nothing in it", async () => {
    const carol = await newUser(ctx.api, ctx.db, "carol", "free");
    expect((await get(carol.token, "memories")).body).toEqual({ items: [], next_cursor: null, total: 0, version: 0 });
  });
});

describe("GET /vault/conversations", () => {
  it("lists each conversation once with its memory count and dates, newest first", async () => {
    const answer = await get(alice.token, "conversations", { limit: 100 });

    expect(answer.status).toBe(200);
    expect(answer.body.total).toBe(14);
    expect(answer.body.items[0]).toMatchObject({ conversation_id: "alice-newest", title: "Sourdough starter", source: "openai", memories: 2 });
    expect(answer.body.items[0].first_at.slice(0, 10)).toBe("2024-05-02");
    expect(answer.body.items.at(-1)).toMatchObject({ conversation_id: "alice-oldest", memories: 1 });
  });

  it("pages with a cursor", async () => {
    const first = await get(alice.token, "conversations", { limit: 10 });
    const second = await get(alice.token, "conversations", { limit: 10, cursor: first.body.next_cursor });

    expect(first.body.items).toHaveLength(10);
    expect(second.body.items).toHaveLength(4);
    expect(second.body.next_cursor).toBeNull();
    const ids = [...first.body.items, ...second.body.items].map((item: { conversation_id: string }) => item.conversation_id);
    expect(new Set(ids).size).toBe(14);
  });
});

describe("GET /vault/topics", () => {
  it("serves the version's clusters with labels, sizes adding up to the vault, and example titles", async () => {
    const answer = await get(alice.token, "topics");

    expect(answer.status).toBe(200);
    expect(answer.body.topics.length).toBeGreaterThan(0);
    expect(answer.body.topics.reduce((sum: number, topic: { size: number }) => sum + topic.size, 0)).toBe(27);
    for (const topic of answer.body.topics) {
      expect(topic.label).not.toBe("");
      expect(topic.examples.length).toBeGreaterThan(0);
    }
    expect(answer.body).not.toHaveProperty("assignments");
  });
});

describe("isolation", () => {
  it("shows each person only their own vault, whatever they filter by", async () => {
    const bobs = await get(bob.token, "memories", { limit: 100 });
    expect(bobs.body.items.map((item: { conversation_id: string }) => item.conversation_id)).toEqual(["bob-only"]);
    expect((await get(bob.token, "memories", { conversation_id: "alice-newest" })).body.total).toBe(0);
    expect((await get(alice.token, "memories", { conversation_id: "bob-only" })).body.total).toBe(0);
    expect(JSON.stringify((await get(bob.token, "conversations")).body)).not.toContain("alice");
    expect(JSON.stringify((await get(bob.token, "topics")).body)).not.toContain("Sourdough");
  });
});

describe("after a later import", () => {
  it("counts a conversation's turns across merges under its latest title, from the segments the merges wrote", async () => {
    await importConversations(ctx.api, alice, [
      {
        id: "alice-newest",
        title: "Sourdough starter, continued",
        startTime: MAY_2024,
        turns: [["My starter smells of acetone", "Feed it more often."], ["How warm?", "About 24 °C."], ["It doubled overnight at last", "Then it is ready to bake with."]],
      },
    ]);
    // The dedupe keeps the two turns already held; only the new one is merged into version 2.
    const vault = await ctx.db.query<{ prefix: string; current_version: number }>("SELECT prefix, current_version FROM personal.vaults WHERE user_id = $1", [alice.userId]);
    expect(vault.rows[0]!.current_version).toBe(2);

    const answer = await get(alice.token, "conversations", { limit: 100 });
    expect(answer.body.total).toBe(14);
    expect(answer.body.version).toBe(2);
    expect(answer.body.items[0]).toMatchObject({ conversation_id: "alice-newest", title: "Sourdough starter, continued", memories: 3 });
    expect((await get(alice.token, "memories", { conversation_id: "alice-newest" })).body.total).toBe(3);

    // Browsing adds no file to a version: the merge wrote its clusters and search manifest, nothing more.
    const keys = await listKeys(`${vault.rows[0]!.prefix}/indexes/v000002/`);
    expect(keys.map((key) => key.split("/").at(-1)).sort()).toEqual(["clusters.json", "clusters.npy", "search.json"]);
  }, 120_000);
});
