import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { chunkFile, chunkLinesRange, nodesJsonLines, readNodes } from "../../lib/ingest/vault-files";
import { labelText, type VaultNode } from "../../lib/ingest/vault-nodes";
import { createIndexCache } from "../../lib/search/index-cache";
import { decodeSegmentPart, encodeSegmentPart } from "../../lib/search/segment-builder";
import { deleteUnlistedSegments, SEGMENT_POLICY, segmentKeys } from "../../lib/search/segments";
import { queryTerms } from "../../lib/search/tokens";
import { meteredStore } from "../../lib/store/metered";
import { objectRange } from "../../lib/store/ranged";
import { objectBytes } from "../../lib/store/streams";
import { writeAppendedVersion, type RowBlock } from "../../lib/vaults/version-writer";
import { versionKeys } from "../../lib/vaults/versions";
import { chainIdsDigest, ClustersDocSchema, idsDigest } from "../../lib/vectors/clusters";
import { decodeNpy, encodeNpy } from "../../lib/vectors/npy";
import { encodeSample, inSample, samplePriority } from "../../lib/vectors/sample-file";
import { adjustedRand, purity } from "../vectors/fixtures/cluster-quality";
import { putBytes, useEmulator } from "../support/emulator";
import { plantedNode } from "../vectors/fixtures/planted-nodes";
import { plantedTopics } from "../vectors/fixtures/planted-topics";

const ctx = useEmulator();
const DIM = 256;
const MiB = 1024 * 1024;
const corpus = plantedTopics({ rows: 12_400, dim: DIM, seed: 5 });
const embedder = { embedder: "local" as const, model: "planted-topics", dim: DIM };
const nodes = Array.from({ length: 12_400 }, (_, row) => plantedNode(corpus, row));

async function* blocks(first: number, count: number, size = 700): AsyncGenerator<RowBlock> {
  for (let row = first; row < first + count; row += size) {
    const end = Math.min(first + count, row + size);
    yield { nodes: nodes.slice(row, end), vectors: corpus.vectors.slice(row * DIM, end * DIM) };
  }
}

function append(prefix: string, previous: number, previousNodes: number, added: number, store = ctx.store) {
  return writeAppendedVersion(store, { prefix, previous, previousNodes, added, embedder, blocks: blocks(previousNodes, added) });
}

async function text(lines: AsyncIterable<string>): Promise<string> {
  let out = "";
  for await (const piece of lines) out += piece;
  return out;
}

async function clusters(prefix: string, version: number) {
  return ClustersDocSchema.parse(JSON.parse((await objectBytes(ctx.store, versionKeys(prefix, version).clusters)).toString("utf8")));
}

describe("appending a version", () => {
  it("extends the previous files so they read as if written whole, moving only the new rows through the function", async () => {
    const prefix = "users/append";
    const first = await append(prefix, 0, 0, 12_000);
    const { store, meter } = meteredStore(ctx.store);

    const second = await append(prefix, 1, 12_000, 400, store);

    const keys = versionKeys(prefix, 2);
    expect((await objectBytes(ctx.store, keys.nodes)).toString("utf8")).toBe(await text(nodesJsonLines((async function* () {
      for (const node of nodes.slice(0, 12_400)) yield JSON.stringify(node);
    })())));
    const npy = decodeNpy(await objectBytes(ctx.store, keys.vectors));
    expect([npy.rows, npy.dim]).toEqual([12_400, DIM]);
    expect(Buffer.from(npy.data.buffer).equals(Buffer.from(corpus.vectors.buffer, 0, 12_400 * DIM * 4))).toBe(true);

    // What crossed the function: the new rows, and at most a 5 MiB part per file where S3 asks for one.
    const newBytes = second.files.nodes.uploaded - second.files.nodes.read + 400 * DIM * 4;
    expect(second.files.vectors.copied).toBeGreaterThan(12_000 * DIM * 4 - 5 * MiB);
    expect(meter.read + meter.written).toBeLessThan(newBytes + 3 * 5 * MiB + 2 * MiB);
    expect(meter.read + meter.written).toBeLessThan((first.bytes + second.bytes) / 2);
    expect(second.clusters).toBe("extended");

    // Clusters: the old assignments kept, the new rows added to the nearest clusters, the sizes with them.
    const before = await clusters(prefix, 1);
    const after = await clusters(prefix, 2);
    expect(after.assignments.slice(0, 12_000)).toEqual(before.assignments);
    expect(after.assignments).toHaveLength(12_400);
    expect(after.clusters.map((cluster) => cluster.size)).toEqual(after.clusters.map((cluster) => after.assignments.filter((c) => c === cluster.id).length));
    expect(after.node_count).toBe(12_400);
    expect(after.fitted_node_count).toBe(12_000);
    expect(after.ids_digest).toBe(chainIdsDigest(before.ids_digest, nodes.slice(12_000, 12_400).map((node) => node.id)));
    // Planted topics: a new row mostly joins the cluster its topic's earlier rows are in.
    const home = new Map<number, number>();
    for (let row = 0; row < 12_000; row++) home.set(corpus.topic[row]!, after.assignments[row]!);
    const agree = nodes.slice(12_000, 12_400).filter((_, i) => home.get(corpus.topic[12_000 + i]!) === after.assignments[12_000 + i]).length;
    expect(agree / 400).toBeGreaterThan(0.8);

    // Search: the new rows are a segment of their own, found by text and by vector, pointing at their lines.
    expect(second.search.segments.map((segment) => [segment.first, segment.rows])).toEqual([[0, 12_000], [12_000, 400]]);
    const cache = createIndexCache({ maxBytes: 1024 ** 3 });
    try {
      const loaded = await cache.get(ctx.store, { vaultId: "append", prefix, version: 2, embedder });
      const row = 12_345;
      expect(loaded.vectors.search(corpus.vectors.subarray(row * DIM, (row + 1) * DIM), 1).rows).toEqual([row]);
      const { offset, length } = loaded.memories.location(row);
      expect(JSON.parse((await objectRange(ctx.store, keys.nodes, offset, length)).toString("utf8")).id).toBe(nodes[row]!.id);
      const hits = loaded.lexical.search(queryTerms((nodes[row] as { human: string }).human), { limit: 5 });
      expect(hits.rows).toContain(row);
    } finally {
      await cache.clear();
    }
  }, 300_000);

  it("clusters every node again once the vault has doubled since the last fit, then extends again", async () => {
    const prefix = "users/refit";
    await append(prefix, 0, 0, 1_000);
    const doubled = await append(prefix, 1, 1_000, 1_000);
    const grown = await append(prefix, 2, 2_000, 300);

    expect([doubled.clusters, grown.clusters]).toEqual(["fitted", "extended"]);
    const fitted = await clusters(prefix, 2);
    expect(fitted.fitted_node_count).toBe(2_000);
    expect(fitted.ids_digest).toBe(idsDigest(nodes.slice(0, 2_000).map((node) => node.id)));
    expect(fitted.clusters.reduce((sum, cluster) => sum + cluster.size, 0)).toBe(2_000);
    const extended = await clusters(prefix, 3);
    expect(extended.assignments.slice(0, 2_000)).toEqual(fitted.assignments);
    expect(extended.clusters.reduce((sum, cluster) => sum + cluster.size, 0)).toBe(2_300);
    expect((await readNodes(ctx.store, versionKeys(prefix, 3).nodes)).map((node) => node.id)).toEqual(nodes.slice(0, 2_300).map((node) => node.id));
  }, 180_000);

  it("indexes the whole new version when the previous one has no search manifest it can extend", async () => {
    const prefix = "users/legacy";
    await append(prefix, 0, 0, 500);
    await ctx.store.client.send(new DeleteObjectCommand({ Bucket: ctx.store.bucket, Key: versionKeys(prefix, 1).searchManifest }));

    const next = await append(prefix, 1, 500, 50);

    expect(next.search.rows).toBe(550);
    expect(next.search.segments[0]!.first).toBe(0);
    // Version 1's segment is listed by no version kept after the switch: it goes, version 2's stay.
    const listed = new Set(next.search.segments.map((segment) => segment.name));
    expect(await deleteUnlistedSegments(ctx.store, prefix, listed)).toBe(2);
    const cache = createIndexCache({ maxBytes: 1024 ** 3 });
    try {
      expect((await cache.get(ctx.store, { vaultId: "legacy", prefix, version: 2, embedder })).memories.rows).toBe(550);
    } finally {
      await cache.clear();
    }
  }, 120_000);

  it("writes the nodes.json lines a block brings as they are, making the same files as from the nodes alone", async () => {
    const withLines = async function* (): AsyncGenerator<RowBlock> {
      for await (const block of blocks(0, 900, 400)) yield { ...block, lines: block.nodes!.map((node) => Buffer.from(JSON.stringify(node), "utf8")) };
    };
    const fromNodes = await writeAppendedVersion(ctx.store, { prefix: "users/from-nodes", previous: 0, previousNodes: 0, added: 900, embedder, blocks: blocks(0, 900, 400) });
    const fromLines = await writeAppendedVersion(ctx.store, { prefix: "users/from-lines", previous: 0, previousNodes: 0, added: 900, embedder, blocks: withLines() });

    const files = async (prefix: string, written: typeof fromNodes) => {
      const segment = segmentKeys(prefix, written.search.segments[0]!.name);
      return Promise.all([objectBytes(ctx.store, versionKeys(prefix, 1).nodes), objectBytes(ctx.store, segment.memories), objectBytes(ctx.store, segment.lexical)]);
    };
    const [nodesJson, memories, lexical] = await files("users/from-lines", fromLines);
    const expected = await files("users/from-nodes", fromNodes);
    expect(nodesJson.equals(expected[0])).toBe(true);
    expect(memories.equals(expected[1])).toBe(true);
    expect(lexical.equals(expected[2])).toBe(true);
    expect(nodesJson.toString("utf8")).toBe(await text(nodesJsonLines((async function* () {
      for (const node of nodes.slice(0, 900)) yield JSON.stringify(node);
    })())));
  }, 120_000);

  it("joins the blocks' search parts into the same segment files as indexing their rows, also where a block crosses a segment's row limit", async () => {
    const lined = async function* (first: number, count: number, parts: boolean): AsyncGenerator<RowBlock> {
      for await (const block of blocks(first, count, 400)) {
        const lines = block.nodes!.map((node) => Buffer.from(JSON.stringify(node), "utf8"));
        yield { ...block, lines, segmentPart: parts ? decodeSegmentPart(encodeSegmentPart(block.nodes!, lines)) : undefined };
      }
    };
    const write = async (prefix: string, parts: boolean) => {
      const first = await writeAppendedVersion(ctx.store, { prefix, previous: 0, previousNodes: 0, added: 900, embedder, blocks: lined(0, 900, parts) });
      const second = await writeAppendedVersion(ctx.store, { prefix, previous: 1, previousNodes: 900, added: 900, embedder, blocks: lined(900, 900, parts) });
      const files = await Promise.all(
        second.search.segments.map((segment) => Promise.all([objectBytes(ctx.store, segmentKeys(prefix, segment.name).lexical), objectBytes(ctx.store, segmentKeys(prefix, segment.name).memories)])),
      );
      return { joined: [first.indexedFromParts, second.indexedFromParts], segments: second.search.segments.map(({ name, first, rows }) => ({ name, first, rows })), files };
    };
    const maxRows = SEGMENT_POLICY.maxRows;
    SEGMENT_POLICY.maxRows = 500;
    try {
      const parts = await write("users/joined-parts", true);
      const rows = await write("users/indexed-rows", false);
      // Blocks of 400 into segments of 500: the second block of each version crosses the limit and is indexed row by row.
      expect(parts.joined).toEqual([500, 400 + 100]);
      expect(rows.joined).toEqual([0, 0]);
      expect(parts.segments).toEqual(rows.segments);
      expect(parts.segments.map((segment) => segment.rows)).toEqual([500, 400, 500, 400]);
      parts.files.forEach(([lexical, memories], at) => {
        expect(lexical.equals(rows.files[at]![0])).toBe(true);
        expect(memories.equals(rows.files[at]![1])).toBe(true);
      });
    } finally {
      SEGMENT_POLICY.maxRows = maxRows;
    }
  }, 120_000);

  it("makes the same files from blocks that bring lines and labels instead of nodes, parsing lines only for rows it indexes itself", async () => {
    // As the merge gives a chunk whose part carries its rows' facts: lines, labels and the part, no nodes.
    const lean = async function* (first: number, count: number, parts: boolean): AsyncGenerator<RowBlock> {
      for await (const block of blocks(first, count, 400)) {
        const lines = block.nodes!.map((node) => Buffer.from(JSON.stringify(node), "utf8"));
        yield {
          vectors: block.vectors,
          lines,
          labels: block.nodes!.map((node) => labelText(node)),
          segmentPart: parts ? decodeSegmentPart(encodeSegmentPart(block.nodes!, lines)) : undefined,
        };
      }
    };
    const write = async (prefix: string, source: (first: number, count: number) => AsyncGenerator<RowBlock>) => {
      // A first version (clustered from the rows kept), then one that extends it (new rows join the clusters).
      const written = [
        await writeAppendedVersion(ctx.store, { prefix, previous: 0, previousNodes: 0, added: 3_000, embedder, blocks: source(0, 3_000) }),
        await writeAppendedVersion(ctx.store, { prefix, previous: 1, previousNodes: 3_000, added: 900, embedder, blocks: source(3_000, 900) }),
      ];
      const files = [];
      for (const [at, version] of written.entries()) {
        const keys = versionKeys(prefix, version.version);
        const { computed_at: _, ...doc } = await clusters(prefix, version.version);
        const segments = await Promise.all(version.search.segments.map(async (segment) => [await objectBytes(ctx.store, segmentKeys(prefix, segment.name).lexical), await objectBytes(ctx.store, segmentKeys(prefix, segment.name).memories)]));
        files.push({ at, nodes: await objectBytes(ctx.store, keys.nodes), vectors: await objectBytes(ctx.store, keys.vectors), clusters: doc, segments });
      }
      return { files, joined: written.map((version) => version.indexedFromParts) };
    };
    const expected = await write("users/lean-from-nodes", (first, count) => blocks(first, count, 400));
    const leanWithParts = await write("users/lean-parts", (first, count) => lean(first, count, true));
    const leanParsed = await write("users/lean-parsed", (first, count) => lean(first, count, false));
    expect(leanWithParts.joined).toEqual([3_000, 900]);
    expect(leanParsed.joined).toEqual([0, 0]);
    expect(expected.files[0]!.clusters.clusters.length).toBeGreaterThan(10);
    for (const written of [leanWithParts, leanParsed]) {
      for (const [at, files] of written.files.entries()) {
        const want = expected.files[at]!;
        expect(files.nodes.equals(want.nodes)).toBe(true);
        expect(files.vectors.equals(want.vectors)).toBe(true);
        expect(files.clusters).toEqual(want.clusters);
        expect(files.segments.length).toBe(want.segments.length);
        files.segments.forEach(([lexical, memories], segment) => {
          expect(lexical!.equals(want.segments[segment]![0]!)).toBe(true);
          expect(memories!.equals(want.segments[segment]![1]!)).toBe(true);
        });
      }
    }
  }, 120_000);

  it("copies rows already in the store into the version, making the same files as from their lines, with their text never read", async () => {
    // Chunk files as the split writes them and vectors as embed workers do, with texts long enough that
    // a block's lines (~2 KB a row) are over S3's 5 MiB part minimum.
    const filler = " and the garden kept growing all summer long".repeat(40);
    const long = nodes.slice(0, 12_000).map((node) => (node.kind === "exchange" ? { ...node, assistant: node.assistant + filler } : node));
    const lineOf = (node: VaultNode) => Buffer.from(JSON.stringify(node), "utf8");
    const stored = async (first: number, count: number): Promise<RowBlock> => {
      const rows = long.slice(first, first + count);
      const lines = rows.map(lineOf);
      const file = chunkFile(lines);
      const npy = encodeNpy(corpus.vectors.slice(first * DIM, (first + count) * DIM), count, DIM);
      await Promise.all([putBytes(ctx.store, `work/chunk-${first}.json`, file), putBytes(ctx.store, `work/vectors-${first}.npy`, Buffer.from(npy))]);
      return {
        labels: rows.map((node) => labelText(node)),
        vectors: corpus.vectors.slice(first * DIM, (first + count) * DIM),
        segmentPart: decodeSegmentPart(encodeSegmentPart(rows, lines)),
        stored: { lines: { key: `work/chunk-${first}.json`, ...chunkLinesRange(file)! }, vectors: { key: `work/vectors-${first}.npy`, start: npy.length - count * DIM * 4, end: npy.length } },
      };
    };
    const fromLines = async function* (first: number, sizes: number[]): AsyncGenerator<RowBlock> {
      for (const size of sizes) {
        const rows = long.slice(first, first + size);
        const lines = rows.map(lineOf);
        yield { labels: rows.map((node) => labelText(node)), vectors: corpus.vectors.slice(first * DIM, (first + size) * DIM), lines, segmentPart: decodeSegmentPart(encodeSegmentPart(rows, lines)) };
        first += size;
      }
    };
    const fromStore = async function* (first: number, sizes: number[]): AsyncGenerator<RowBlock> {
      for (const size of sizes) {
        yield await stored(first, size);
        first += size;
      }
    };
    // A first version of two blocks, then one block that extends it (its vectors, 5.6 MB, a part too; not
    // doubling the vault, so the rows join the clusters rather than every row being clustered again).
    const versions: Array<[number, number, number[]]> = [[0, 0, [3_000, 3_000]], [1, 6_000, [5_500]]];
    const write = async (prefix: string, source: typeof fromLines, store = ctx.store) => {
      const written = [];
      for (const [previous, previousNodes, sizes] of versions) {
        const added = sizes.reduce((sum, size) => sum + size, 0);
        written.push(await writeAppendedVersion(store, { prefix, previous, previousNodes, added, embedder, blocks: source(previousNodes, sizes) }));
      }
      return written;
    };
    const files = async (prefix: string, written: Awaited<ReturnType<typeof write>>) =>
      Promise.all(
        written.map(async (version) => {
          const keys = versionKeys(prefix, version.version);
          const { computed_at: _, ...doc } = await clusters(prefix, version.version);
          const segments = await Promise.all(version.search.segments.map((segment) => Promise.all([objectBytes(ctx.store, segmentKeys(prefix, segment.name).lexical), objectBytes(ctx.store, segmentKeys(prefix, segment.name).memories)])));
          return { nodes: await objectBytes(ctx.store, keys.nodes), vectors: await objectBytes(ctx.store, keys.vectors), clusters: doc, segments };
        }),
      );

    const expected = await files("users/rows-written", await write("users/rows-written", fromLines));
    const { store, meter } = meteredStore(ctx.store);
    const copied = await write("users/rows-copied", fromStore, store);
    // Version 2's previous vectors (6 MB) are read through: after the header, what is left of them past a part is too short to copy.
    const got = await files("users/rows-copied", copied);

    for (const [at, version] of got.entries()) {
      expect(version.nodes.equals(expected[at]!.nodes)).toBe(true);
      expect(version.vectors.equals(expected[at]!.vectors)).toBe(true);
      expect(version.clusters).toEqual(expected[at]!.clusters);
      expect(version.segments).toEqual(expected[at]!.segments);
    }
    expect(copied.map((version) => version.indexedFromParts)).toEqual([6_000, 5_500]);
    expect(copied.map((version) => version.clusters)).toEqual(["fitted", "extended"]);
    expect(JSON.parse(got[1]!.nodes.toString("utf8"))).toEqual(long.slice(0, 11_500));
    // The first version's "[\n" cannot be a part alone: its first block's lines are read through (what
    // is left of them after a 5 MiB part is too short to copy); every other block's lines are copied.
    const lineBytes = (first: number, count: number) => long.slice(first, first + count).reduce((sum, node) => sum + 2 + lineOf(node).length, 0);
    expect(lineBytes(0, 3_000)).toBeGreaterThan(5 * MiB);
    expect(copied[0]!.files.nodes).toMatchObject({ read: lineBytes(0, 3_000) - 2, copied: lineBytes(3_000, 3_000) });
    expect(copied[1]!.files.nodes).toMatchObject({ read: 0, uploaded: 3, copied: got[1]!.nodes.length - 3 });
    // The extending block's vectors (5.6 MB) are copied; the first version's were written from memory
    // (3 MB blocks), as were the header and what tops it up to a part.
    expect(copied[1]!.files.vectors.copied).toBe(5_500 * DIM * 4);
    expect(copied[0]!.files.vectors).toMatchObject({ read: 0, copied: 0 });
    expect(meter.read).toBeLessThan(lineBytes(0, 3_000) + 6_000 * DIM * 4 + MiB);
  }, 300_000);

  it("reads the lines of rows in the store whose part cannot join the segment being built, and indexes them itself", async () => {
    const rows = nodes.slice(0, 900);
    const lines = rows.map((node) => Buffer.from(JSON.stringify(node), "utf8"));
    const sources = async function* (stored: boolean): AsyncGenerator<RowBlock> {
      for (let first = 0; first < 900; first += 400) {
        const end = Math.min(900, first + 400);
        const block = { labels: rows.slice(first, end).map((node) => labelText(node)), vectors: corpus.vectors.slice(first * DIM, end * DIM), segmentPart: decodeSegmentPart(encodeSegmentPart(rows.slice(first, end), lines.slice(first, end))) };
        if (!stored) {
          yield { ...block, lines: lines.slice(first, end) };
          continue;
        }
        const file = chunkFile(lines.slice(first, end));
        const npy = encodeNpy(block.vectors, end - first, DIM);
        await Promise.all([putBytes(ctx.store, `work/small-${first}.json`, file), putBytes(ctx.store, `work/small-${first}.npy`, Buffer.from(npy))]);
        yield { ...block, stored: { lines: { key: `work/small-${first}.json`, ...chunkLinesRange(file)! }, vectors: { key: `work/small-${first}.npy`, start: npy.length - block.vectors.byteLength, end: npy.length } } };
      }
    };
    const maxRows = SEGMENT_POLICY.maxRows;
    SEGMENT_POLICY.maxRows = 500;
    try {
      const write = (prefix: string, stored: boolean) => writeAppendedVersion(ctx.store, { prefix, previous: 0, previousNodes: 0, added: 900, embedder, blocks: sources(stored) });
      const fromLines = await write("users/small-lines", false);
      const fromStore = await write("users/small-stored", true);
      // Blocks of 400 into segments of 500: the second block crosses the limit and is indexed row by row.
      expect(fromStore.indexedFromParts).toBe(500);
      expect(fromStore.search.segments.map((segment) => segment.rows)).toEqual([500, 400]);
      for (const [at, segment] of fromStore.search.segments.entries()) {
        const want = segmentKeys("users/small-lines", fromLines.search.segments[at]!.name);
        const have = segmentKeys("users/small-stored", segment.name);
        expect((await objectBytes(ctx.store, have.memories)).equals(await objectBytes(ctx.store, want.memories))).toBe(true);
        expect((await objectBytes(ctx.store, have.lexical)).equals(await objectBytes(ctx.store, want.lexical))).toBe(true);
      }
      expect((await objectBytes(ctx.store, versionKeys("users/small-stored", 1).nodes)).equals(await objectBytes(ctx.store, versionKeys("users/small-lines", 1).nodes))).toBe(true);
    } finally {
      SEGMENT_POLICY.maxRows = maxRows;
    }
  }, 120_000);

  it("refuses rows in the store whose ranges do not hold what their part says", async () => {
    const rows = nodes.slice(0, 10);
    const lines = rows.map((node) => Buffer.from(JSON.stringify(node), "utf8"));
    const file = chunkFile(lines);
    await putBytes(ctx.store, "work/refused.json", file);
    const range = chunkLinesRange(file)!;
    const vectors = corpus.vectors.slice(0, 10 * DIM);
    const attempt = (lineRange: { start: number; end: number }, vectorBytes: number) =>
      writeAppendedVersion(ctx.store, {
        prefix: "users/stored-refused", previous: 0, previousNodes: 0, added: 10, embedder,
        blocks: (async function* () {
          yield { labels: rows.map((node) => labelText(node)), vectors, segmentPart: decodeSegmentPart(encodeSegmentPart(rows, lines)), stored: { lines: { key: "work/refused.json", ...lineRange }, vectors: { key: "work/none.npy", start: 0, end: vectorBytes } } };
        })(),
      });
    await expect(attempt({ start: range.start, end: range.end - 1 }, vectors.byteLength)).rejects.toThrow(/bytes of lines in the store, the part of 10 rows says/);
    await expect(attempt(range, vectors.byteLength - 4)).rejects.toThrow(/bytes of vectors in the store/);
  });

  it("refuses a block without nodes that lacks a row's line or label", async () => {
    const lines = nodes.slice(0, 3).map((node) => Buffer.from(JSON.stringify(node), "utf8"));
    const vectors = corpus.vectors.slice(0, 3 * DIM);
    const attempt = (block: RowBlock) =>
      writeAppendedVersion(ctx.store, { prefix: "users/lean-refused", previous: 0, previousNodes: 0, added: 3, embedder, blocks: (async function* () { yield block; })() });
    await expect(attempt({ vectors, lines })).rejects.toThrow("a block without nodes must bring each row's line and label");
    await expect(attempt({ vectors, lines, labels: nodes.slice(0, 2).map((node) => labelText(node)) })).rejects.toThrow("a block without nodes must bring each row's line and label");
  });

  it("clusters a first version the same from the rows it kept as they passed as from its files read back", async () => {
    const write = (prefix: string, maxVectorBytesInMemory?: number) =>
      writeAppendedVersion(ctx.store, { prefix, previous: 0, previousNodes: 0, added: 3_000, embedder, blocks: blocks(0, 3_000, 400), maxVectorBytesInMemory });
    await write("users/kept-rows");
    await write("users/read-back", 0);
    const { computed_at: _kept, ...kept } = await clusters("users/kept-rows", 1);
    const { computed_at: _readBack, ...readBack } = await clusters("users/read-back", 1);
    expect(kept.clusters.length).toBeGreaterThan(10);
    expect(kept.ids_digest).toBe(idsDigest(nodes.slice(0, 3_000).map((node) => node.id)));
    expect(kept).toEqual(readBack);
  }, 120_000);

  it("clusters a large first version on a thread of its own, fitted on its chunks' samples, about as well as from every row", async () => {
    // The samples as embed workers write them: one file per chunk of 1,000 rows.
    const rows = 8_000;
    const sampleFiles: string[] = [];
    for (let first = 0; first < rows; first += 1_000) {
      const sampled = nodes.slice(first, first + 1_000).flatMap((node, at) => (inSample(samplePriority(node.hash)) ? [first + at] : []));
      const vectors = new Float32Array(sampled.length * DIM);
      sampled.forEach((row, at) => vectors.set(corpus.vectors.subarray(row * DIM, (row + 1) * DIM), at * DIM));
      const key = `users/sampled/work/chunk-${first}.sample.bin`;
      await putBytes(ctx.store, key, encodeSample(DIM, sampled.map((row) => samplePriority(nodes[row]!.hash)), vectors));
      sampleFiles.push(key);
    }
    const write = (prefix: string, sampled: boolean) =>
      writeAppendedVersion(ctx.store, { prefix, previous: 0, previousNodes: 0, added: rows, embedder, blocks: blocks(0, rows, 700), ...(sampled && { sampleFiles, clusterThreadRows: 1_000 }) });
    await write("users/every-row", false);
    await write("users/sampled", true);
    const files = async (prefix: string) => Promise.all([objectBytes(ctx.store, versionKeys(prefix, 1).nodes), objectBytes(ctx.store, versionKeys(prefix, 1).vectors)]);
    const [everyNodes, everyVectors] = await files("users/every-row");
    const [sampledNodes, sampledVectors] = await files("users/sampled");
    expect(sampledNodes.equals(everyNodes)).toBe(true);
    expect(sampledVectors.equals(everyVectors)).toBe(true);

    const every = await clusters("users/every-row", 1);
    const sampled = await clusters("users/sampled", 1);
    expect(sampled.ids_digest).toBe(idsDigest(nodes.slice(0, rows).map((node) => node.id)));
    expect(sampled.assignments).toHaveLength(rows);
    expect(sampled.clusters.length).toBeGreaterThan(40);
    // Fitted on ~2,000 rows instead of all 8,000, the partition is close to the one from every row, and as true to the planted themes.
    expect(adjustedRand(sampled.assignments, every.assignments)).toBeGreaterThan(0.6);
    const themes = corpus.theme.subarray(0, rows);
    expect(purity(sampled.assignments, themes)).toBeGreaterThan(purity(every.assignments, themes) - 0.05);
    // The thread's fit is the same every time.
    await write("users/sampled-again", true);
    const { computed_at: _first, ...first } = sampled;
    const { computed_at: _again, ...again } = await clusters("users/sampled-again", 1);
    expect(again).toEqual(first);
  }, 120_000);

  it("has its clustering thread read the vectors of rows the store copies, so the blocks need not bring them: the same files and clusters", async () => {
    // Rows of ~2 KB, and blocks of 6,000 rows, so that a block's lines and vectors (6 MB) make copied parts.
    const filler = " and the garden kept growing all summer long".repeat(40);
    const rows = 12_000;
    const block = 6_000;
    const long = nodes.slice(0, rows).map((node) => (node.kind === "exchange" ? { ...node, assistant: node.assistant + filler } : node));
    const sampleFiles: string[] = [];
    for (let first = 0; first < rows; first += block) {
      const sampled = long.slice(first, first + block).flatMap((node, at) => (inSample(samplePriority(node.hash)) ? [first + at] : []));
      const vectors = new Float32Array(sampled.length * DIM);
      sampled.forEach((row, at) => vectors.set(corpus.vectors.subarray(row * DIM, (row + 1) * DIM), at * DIM));
      const key = `users/thread-reads/work/chunk-${first}.sample.bin`;
      await putBytes(ctx.store, key, encodeSample(DIM, sampled.map((row) => samplePriority(long[row]!.hash)), vectors));
      sampleFiles.push(key);
    }
    const chunks: RowBlock[] = [];
    for (let first = 0; first < rows; first += block) {
      const chunkRows = long.slice(first, first + block);
      const lines = chunkRows.map((node) => Buffer.from(JSON.stringify(node), "utf8"));
      const file = chunkFile(lines);
      const vectors = corpus.vectors.slice(first * DIM, (first + block) * DIM);
      const npy = encodeNpy(vectors, block, DIM);
      const keys = { lines: `users/thread-reads/work/chunk-${first}.json`, vectors: `users/thread-reads/work/vectors-${first}.npy` };
      await Promise.all([putBytes(ctx.store, keys.lines, file), putBytes(ctx.store, keys.vectors, Buffer.from(npy))]);
      chunks.push({
        labels: chunkRows.map((node) => labelText(node)),
        vectors,
        segmentPart: decodeSegmentPart(encodeSegmentPart(chunkRows, lines)),
        stored: { lines: { key: keys.lines, ...chunkLinesRange(file)! }, vectors: { key: keys.vectors, start: npy.length - vectors.byteLength, end: npy.length } },
      });
    }
    const write = (prefix: string, options: { vectors: boolean; thread: boolean }, store = ctx.store) =>
      writeAppendedVersion(store, {
        prefix,
        previous: 0,
        previousNodes: 0,
        added: rows,
        embedder,
        blocks: (async function* () {
          // A copy: a copied block's vectors move to the clustering thread.
          for (const chunk of chunks) yield { ...chunk, vectors: options.vectors ? chunk.vectors!.slice() : undefined };
        })(),
        ...(options.thread && { sampleFiles, clusterThreadRows: 1_000 }),
      });
    const version = async (prefix: string) => {
      const { computed_at: _, ...doc } = await clusters(prefix, 1);
      return { nodes: await objectBytes(ctx.store, versionKeys(prefix, 1).nodes), vectors: await objectBytes(ctx.store, versionKeys(prefix, 1).vectors), clusters: doc };
    };

    await write("users/thread-given", { vectors: true, thread: true });
    const { store, meter } = meteredStore(ctx.store);
    const read = await write("users/thread-read", { vectors: false, thread: true }, store);
    const given = await version("users/thread-given");
    const fromStore = await version("users/thread-read");
    expect(fromStore.nodes.equals(given.nodes)).toBe(true);
    expect(fromStore.vectors.equals(given.vectors)).toBe(true);
    expect(fromStore.clusters).toEqual(given.clusters);
    expect(fromStore.clusters.assignments).toHaveLength(rows);
    // The first block's lines and vectors pass through the function (the .npy header and "[\n" cannot be
    // parts alone, and what is left of the block after a 5 MiB part is too short to copy); the second
    // block's are copied, and its vectors reach the clustering thread without the function reading them.
    expect(read.files.vectors).toMatchObject({ read: block * DIM * 4, copied: block * DIM * 4 });
    expect(meter.read).toBe(read.files.nodes.read + read.files.vectors.read);

    // Without the thread, the writer reads the vectors it was not given: the same version again.
    await write("users/here-given", { vectors: true, thread: false });
    await write("users/here-read", { vectors: false, thread: false });
    const here = await version("users/here-read");
    const hereGiven = await version("users/here-given");
    expect(here.nodes.equals(given.nodes)).toBe(true);
    expect(here.vectors.equals(given.vectors)).toBe(true);
    expect(here.clusters).toEqual(hereGiven.clusters);
  }, 300_000);

  it("fails a first version whose clustering samples cannot be read", async () => {
    const prefix = "users/sample-lost";
    const sampleFiles = [`${prefix}/work/chunk-0.sample.bin`];
    await expect(
      writeAppendedVersion(ctx.store, { prefix, previous: 0, previousNodes: 0, added: 3_000, embedder, blocks: blocks(0, 3_000, 400), sampleFiles, clusterThreadRows: 1_000 }),
    ).rejects.toThrow(/chunk-0.sample.bin for the clusters: the store answered 404/);
  }, 120_000);

  it("refuses rows that do not match what was announced, leaving nothing at the new version", async () => {
    const prefix = "users/short";
    await append(prefix, 0, 0, 200);

    await expect(writeAppendedVersion(ctx.store, { prefix, previous: 1, previousNodes: 200, added: 100, embedder, blocks: blocks(200, 50) })).rejects.toThrow(/50 rows arrived/);
    await expect(objectBytes(ctx.store, versionKeys(prefix, 2).nodes)).rejects.toThrow();
  }, 120_000);
});
