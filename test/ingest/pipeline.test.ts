import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { getStore } from "../../lib/store/client";
import { getJson } from "../../lib/store/objects";
import { versionKeys } from "../../lib/vaults/versions";
import { buildZip } from "../exports/support/zip-writer";
import { uniqueEmail } from "../support/api";
import { chatgptExport, conversations } from "../support/exports";
import { expectConsistent, readVault, uploadBytes, waitForUpload } from "../support/ingest";
import { useTestStack } from "../support/stack";

const ctx = useTestStack();

async function newUser() {
  const { body } = await ctx.api.signUp(uniqueEmail("ingest"));
  return { token: body.token as string, userId: body.user_id as string };
}

const fixture = (path: string) => readFileSync(new URL(`../fixtures/exports/${path}`, import.meta.url));

describe("ingesting each export format end to end", () => {
  it.each([
    ["ChatGPT conversations.json", "conversations.json", () => fixture("chatgpt/branches.json"), "openai"],
    ["Claude export zip", "data-2026-batch-0000.zip", () => buildZip(["conversations.json", "users.json", "projects.json", "memories.json"].map((name) => ({ name, data: fixture(`claude/${name}`) }))), "anthropic"],
    ["Grok export zip", "grok-export.zip", () => buildZip([{ name: "ttl/30d/export_data/0f0e/prod-grok-backend.json", data: fixture("grok/prod-grok-backend.json") }]), "grok"],
    ["Gemini MyActivity.json", "MyActivity.json", () => fixture("gemini/MyActivity.json"), "gemini"],
  ])("turns a %s into vault nodes whose vectors agree row for row", async (_name, filename, bytes, source) => {
    const user = await newUser();

    const uploadId = await uploadBytes(ctx.api, user.token, filename, bytes());
    const done = await waitForUpload(ctx.api, user.token, uploadId);

    expect(done, JSON.stringify(done)).toMatchObject({ status: "complete", phase: "done", progress_pct: 100, source_type: source, error_message: null });
    expect(done.nodes_created).toBeGreaterThan(0);
    expect(done.nodes_created).toBe(done.exchanges_found + done.profiles_found - done.nodes_deduplicated);
    const state = await readVault(ctx.db, user.userId);
    expectConsistent(state);
    expect(state.npy.dim).toBe(1024);
    expect(state.nodes.every((node) => node.upload_id === uploadId && node.source === source)).toBe(true);
    expect(state.vault).toMatchObject({ status: "ready", embedder: "local", embedder_model: "local-hash-v1", embedding_dim: 1024 });
    const clusters = await getJson<any>(getStore(), versionKeys(state.vault.prefix, state.vault.current_version).clusters);
    expect(clusters.node_count).toBe(state.nodes.length);
    expect(clusters.clusters.reduce((sum: number, cluster: any) => sum + cluster.size, 0)).toBe(state.nodes.length);
  });
});

describe("re-uploads", () => {
  it("completes the same file again as a duplicate, with 0 new nodes and no re-embedding", async () => {
    const user = await newUser();
    const file = chatgptExport(conversations("same", 3));
    const first = await waitForUpload(ctx.api, user.token, await uploadBytes(ctx.api, user.token, "conversations.json", file));
    const before = await readVault(ctx.db, user.userId);

    const again = await waitForUpload(ctx.api, user.token, await uploadBytes(ctx.api, user.token, "conversations.json", file));

    expect(again).toMatchObject({ status: "complete", nodes_created: 0, nodes_deduplicated: 9, duplicate_of: first.upload_id, chunks_total: 0 });
    const after = await readVault(ctx.db, user.userId);
    expect(after.vault.current_version).toBe(before.vault.current_version);
    expect(after.nodes).toHaveLength(9);
  });

  it("adds only the new exchanges of an overlapping later export", async () => {
    const user = await newUser();
    const older = conversations("chat", 4);
    const newer = [...older.slice(1), ...conversations("later", 2)];
    // The later export also continues one old conversation by a turn.
    newer[0] = { ...newer[0]!, turns: [...newer[0]!.turns, ["And one more thing?", "Here is the answer to one more thing."]] };

    await waitForUpload(ctx.api, user.token, await uploadBytes(ctx.api, user.token, "conversations.json", chatgptExport(older)));
    const second = await waitForUpload(ctx.api, user.token, await uploadBytes(ctx.api, user.token, "conversations.json", chatgptExport(newer)));

    expect(second).toMatchObject({ status: "complete", exchanges_found: 3 * 3 + 1 + 2 * 3, nodes_created: 1 + 2 * 3, nodes_deduplicated: 9 });
    const older2 = chatgptExport(older.slice(0, 2));
    const before = (await readVault(ctx.db, user.userId)).vault.total_bytes;
    const third = await waitForUpload(ctx.api, user.token, await uploadBytes(ctx.api, user.token, "conversations.json", older2));
    expect(third).toMatchObject({ status: "complete", nodes_created: 0, duplicate_of: null });
    // Nothing new to merge, but the file is kept, so it counts towards the vault's size.
    expect((await readVault(ctx.db, user.userId)).vault.total_bytes).toBe(before + older2.length);
    const state = await readVault(ctx.db, user.userId);
    expectConsistent(state);
    expect(state.nodes).toHaveLength(4 * 3 + 1 + 2 * 3);
  });

  it("merges two overlapping uploads of one user sent at once, losing and doubling nothing", async () => {
    const user = await newUser();
    const a = chatgptExport([...conversations("shared", 3), ...conversations("only-a", 2)]);
    const b = chatgptExport([...conversations("shared", 3), ...conversations("only-b", 3)]);

    const ids = await Promise.all([uploadBytes(ctx.api, user.token, "a.json", a), uploadBytes(ctx.api, user.token, "b.json", b)]);
    const results = await Promise.all(ids.map((id) => waitForUpload(ctx.api, user.token, id)));

    expect(results.map((result) => result.status)).toEqual(["complete", "complete"]);
    expect(results.reduce((sum, result) => sum + result.nodes_created, 0)).toBe((3 + 2 + 3) * 3);
    const state = await readVault(ctx.db, user.userId);
    expectConsistent(state);
    expect(state.nodes).toHaveLength((3 + 2 + 3) * 3);
    expect(state.vault.current_version).toBe(2);
  });

  it("spreads a larger upload over many chunks and still counts every one exactly once", async () => {
    const user = await newUser();
    const file = chatgptExport(conversations("many", 200, 5));

    const done = await waitForUpload(ctx.api, user.token, await uploadBytes(ctx.api, user.token, "conversations.json", file));

    expect(done.chunks_total).toBe(Math.ceil(1000 / 256));
    expect(done.chunks_done).toBe(done.chunks_total);
    // Where the merge's time went, next to its total (bench:ingest prints them).
    const timings = done.timings as Record<string, number>;
    for (const part of ["merge_files_ms", "merge_clusters_ms", "merge_search_ms"]) {
      expect(timings[part]).toBeGreaterThanOrEqual(0);
      expect(timings[part]).toBeLessThanOrEqual(timings.merge_ms! + 1);
    }
    // Planning (reading what the upload holds and deferred) comes before the merge's own time, within the upload's.
    expect(timings.merge_plan_ms).toBeGreaterThanOrEqual(0);
    expect(timings.merge_plan_ms! + timings.merge_ms!).toBeLessThanOrEqual(timings.total_ms!);
    const state = await readVault(ctx.db, user.userId);
    expectConsistent(state);
    expect(state.nodes).toHaveLength(1000);
  });
});

describe("bad uploads", () => {
  it.each([
    ["not JSON", "conversations.json", Buffer.from("this is a letter, not an export"), /not/i],
    ["a truncated export", "conversations.json", chatgptExport(conversations("cut", 2)).subarray(0, 300), /cut off|incomplete|truncated|end/i],
    ["a zip without conversations", "export.zip", buildZip([{ name: "notes.txt", data: "hello" }]), /conversation/i],
  ])("marks %s failed with a clear message and leaves the vault as it was", async (_case, name, bytes, message) => {
    const user = await newUser();
    await waitForUpload(ctx.api, user.token, await uploadBytes(ctx.api, user.token, "good.json", chatgptExport(conversations("kept", 2))));
    const before = await readVault(ctx.db, user.userId);

    const failed = await waitForUpload(ctx.api, user.token, await uploadBytes(ctx.api, user.token, name, bytes));

    expect(failed.status).toBe("failed");
    expect(failed.error_message).toMatch(message);
    expect(failed.error_message).not.toMatch(/\bat .*\.ts:\d+/);
    const after = await readVault(ctx.db, user.userId);
    expect(after.vault.current_version).toBe(before.vault.current_version);
    expect(after.nodes).toEqual(before.nodes);
    expect(after.vault.status).toBe("ready");
  });

  it("releases what a failed upload claimed, so the good file uploads fine afterwards", async () => {
    const user = await newUser();
    const good = conversations("retry", 2);
    // The same conversations, then garbage: the reader yields records before it finds the damage.
    const damaged = Buffer.concat([chatgptExport(good).subarray(0, -1), Buffer.from(', {"broken": ')]);

    const failed = await waitForUpload(ctx.api, user.token, await uploadBytes(ctx.api, user.token, "conversations.json", damaged));
    const fixed = await waitForUpload(ctx.api, user.token, await uploadBytes(ctx.api, user.token, "conversations.json", chatgptExport(good)));

    expect(failed.status).toBe("failed");
    expect(fixed).toMatchObject({ status: "complete", nodes_created: 6, nodes_deduplicated: 0 });
    const claims = await ctx.db.query("SELECT count(*)::int AS n FROM personal.vault_exchanges WHERE upload_id = $1", [failed.upload_id]);
    expect(claims.rows[0].n).toBe(0);
  });
});
