import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { VaultNode } from "../../lib/ingest/vault-nodes";
import { createMemoryTableBuilder, loadMemoryTable, type MemoryTable } from "../../lib/search/memory-table";
import { createMemoryTextCache, type TextVersionRef } from "../../lib/search/memory-texts";
import { getStore, type Store } from "../../lib/store/client";
import { putStream } from "../../lib/store/streams";
import { versionKeys } from "../../lib/vaults/versions";
import { useTestStack } from "../support/stack";

useTestStack({ consumers: false });

const idOf = (name: string) => createHash("sha256").update(name).digest("hex").slice(0, 32);

function exchange(name: string, human: string, assistant: string): VaultNode {
  return {
    kind: "exchange",
    id: idOf(name),
    source: "openai",
    conversation_id: `conversation-${name}`,
    conversation_title: `About ${name}`,
    sequence_index: 0,
    created_at: "2024-03-05T10:00:00.000Z",
    human,
    assistant,
    hash: idOf(`hash ${name}`),
    upload_id: "00000000-0000-4000-8000-000000000001",
  };
}

/** Writes `nodes` as a version's nodes.json, as the reducer lays it out, and returns its memory table. */
async function writeVersion(store: Store, vault: string, version: number, nodes: VaultNode[]): Promise<{ ref: TextVersionRef; table: MemoryTable }> {
  const builder = createMemoryTableBuilder();
  const lines = nodes.map((node) => JSON.stringify(node));
  let offset = 2; // "[\n"
  lines.forEach((line, row) => {
    builder.add(nodes[row]!, { offset, length: Buffer.byteLength(line) });
    offset += Buffer.byteLength(line) + 2; // ",\n"
  });
  const nodesKey = versionKeys(`vaults/${vault}`, version).nodes;
  await putStream(store, nodesKey, (async function* () {
    yield `[\n${lines.join(",\n")}\n]\n`;
  })(), "application/json");
  return { ref: { vaultId: vault, version, nodesKey }, table: loadMemoryTable(builder.encode()) };
}

const texts = (nodes: VaultNode[]) => nodes.map((node) => (node.kind === "exchange" ? `${node.human} / ${node.assistant}` : node.text));

describe("memory texts held per vault version", () => {
  it("serves a warm read from memory: the store's copy can be gone", async () => {
    const store = getStore();
    const cache = createMemoryTextCache({ maxBytes: 1024 * 1024 });
    const { ref, table } = await writeVersion(store, "warm-vault", 1, [exchange("a", "Where is the spare key?", "Under the blue pot."), exchange("b", "Bike lock code?", "4711.")]);

    expect(await cache.read(store, ref, table, [1, 0])).toMatchObject([{ assistant: "4711." }, { assistant: "Under the blue pot." }]);
    // The first read started holding the version's texts in the background.
    await expect.poll(() => cache.keys()).toEqual(["warm-vault@1"]);
    await store.client.send(new DeleteObjectCommand({ Bucket: store.bucket, Key: ref.nodesKey }));

    expect(texts(await cache.read(store, ref, table, [0, 1]))).toEqual(["Where is the spare key? / Under the blue pot.", "Bike lock code? / 4711."]);
    expect(cache.bytes).toBe(table.location(1).offset + table.location(1).length);
  });

  it("never serves an older version's text, nor a memory the new version forgot", async () => {
    const store = getStore();
    const cache = createMemoryTextCache({ maxBytes: 1024 * 1024 });
    // Version 2 keeps memory "key" at the same row and byte offsets with a corrected answer (the
    // conversation was edited and imported again), and forgets memory "secret".
    const v1 = await writeVersion(store, "edited-vault", 1, [exchange("key", "Where is the spare key?", "Under the blue pot."), exchange("secret", "My PIN?", "It is 1234.")]);
    expect(await cache.hold(store, v1.ref, v1.table)).toBe(true);
    const v2 = await writeVersion(store, "edited-vault", 2, [exchange("key", "Where is the spare key?", "Under the pink pot."), exchange("other", "Lunch plans?", "Soup at noon")]);

    // Same id, same row, same bytes long: only the version tells the two texts apart.
    expect(texts(await cache.read(store, v2.ref, v2.table, [0]))).toEqual(["Where is the spare key? / Under the pink pot."]);
    const read = await cache.read(store, v2.ref, v2.table, [1, 0]);
    expect(texts(read)).toEqual(["Lunch plans? / Soup at noon", "Where is the spare key? / Under the pink pot."]);
    expect(JSON.stringify(read)).not.toContain("1234");

    // Once version 2 is held, version 1's texts are gone: nobody asks for them again.
    await expect.poll(() => cache.keys()).toEqual(["edited-vault@2"]);
    expect(texts(await cache.read(store, v2.ref, v2.table, [0]))).toEqual(["Where is the spare key? / Under the pink pot."]);
    // A load of an older version finishing late does not push the newer one out.
    expect(await cache.hold(store, v1.ref, v1.table)).toBe(false);
    expect(cache.keys()).toEqual(["edited-vault@2"]);
  });

  it("keeps tenants apart: two vaults with the same memory id, layout and version", async () => {
    const store = getStore();
    const cache = createMemoryTextCache({ maxBytes: 1024 * 1024 });
    const alice = await writeVersion(store, "alice-vault", 1, [exchange("same", "What is my note?", "Alice's note: AAAA")]);
    const bob = await writeVersion(store, "bob-vault", 1, [exchange("same", "What is my note?", "Bob's note is: BBB")]);
    expect(await cache.hold(store, alice.ref, alice.table)).toBe(true);

    expect(texts(await cache.read(store, bob.ref, bob.table, [0]))).toEqual(["What is my note? / Bob's note is: BBB"]);
    expect(texts(await cache.read(store, alice.ref, alice.table, [0]))).toEqual(["What is my note? / Alice's note: AAAA"]);
  });

  it("stays within its budget: least recently used versions go first, a version larger than the budget is read from the store", async () => {
    const store = getStore();
    const filler = "x".repeat(300);
    const vaults = await Promise.all(["one", "two", "three"].map((name) => writeVersion(store, `budget-${name}`, 1, [exchange(name, `Question ${name} ${filler}`, `Answer ${name}`)])));
    const oneVaultBytes = vaults[0]!.table.location(0).offset + vaults[0]!.table.location(0).length;
    const cache = createMemoryTextCache({ maxBytes: oneVaultBytes * 2 + 10 });

    for (const vault of vaults.slice(0, 2)) expect(await cache.hold(store, vault.ref, vault.table)).toBe(true);
    await cache.read(store, vaults[0]!.ref, vaults[0]!.table, [0]); // "one" is now the most recently used
    expect(await cache.hold(store, vaults[2]!.ref, vaults[2]!.table)).toBe(true);
    expect(cache.keys()).toEqual(["budget-one@1", "budget-three@1"]);
    expect(cache.bytes).toBeLessThanOrEqual(oneVaultBytes * 2 + 10);

    const big = await writeVersion(store, "budget-big", 1, [exchange("big", `Question ${"y".repeat(oneVaultBytes * 3)}`, "The big answer")]);
    expect(await cache.hold(store, big.ref, big.table)).toBe(false);
    expect(await cache.read(store, big.ref, big.table, [0])).toMatchObject([{ assistant: "The big answer" }]);
    expect(cache.keys()).toEqual(["budget-one@1", "budget-three@1"]);
  });
});
