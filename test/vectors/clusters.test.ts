import { describe, expect, it } from "vitest";
import { fitWholeSample } from "../../lib/vectors/cluster-fit";
import { ClustersDocSchema, chooseK, clusterRows, clustersDocument, computeClusters, createClusterAccumulator, idsDigest } from "../../lib/vectors/clusters";
import { encodeNpy, readNpyRows } from "../../lib/vectors/npy";
import { purity } from "./fixtures/cluster-quality";
import { plantedTopics } from "./fixtures/planted-topics";

const small = plantedTopics({ rows: 2400, dim: 128, themes: 8, topicsPerTheme: 1, seed: 3 });

async function* bytesOf(file: Uint8Array, chunk: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < file.length; at += chunk) yield file.subarray(at, at + chunk);
}

describe("computeClusters", () => {
  it("recovers planted topics when k matches them", () => {
    const doc = computeClusters(small.vectors, small.dim, small.nodes, { k: 8 });
    expect(doc.k).toBe(8);
    expect(purity(doc.assignments, small.topic)).toBeGreaterThan(0.97);
  });

  it("keeps planted themes apart with the default k, splitting rather than mixing them", () => {
    const corpus = plantedTopics({ rows: 4000, dim: 128, themes: 10, topicsPerTheme: 4, seed: 5 });
    const doc = computeClusters(corpus.vectors, corpus.dim, corpus.nodes);
    expect(doc.k).toBe(chooseK(4000));
    expect(purity(doc.assignments, corpus.theme)).toBeGreaterThan(0.95);
  });

  it("labels each cluster with its planted topic's words", () => {
    const doc = computeClusters(small.vectors, small.dim, small.nodes, { k: 8 });
    for (const cluster of doc.clusters) {
      const rows = clusterRows(doc, cluster.id);
      const planted = small.topicWords[small.topic[rows[0]!]!]!.concat(small.themeWords[small.theme[rows[0]!]!]!);
      expect(cluster.terms.slice(0, 3).every((term) => planted.includes(term))).toBe(true);
      expect(cluster.label).toBe(cluster.terms.slice(0, 3).join(", "));
    }
  });

  it("gives identical output on every run with the same seed", () => {
    const first = computeClusters(small.vectors, small.dim, small.nodes, { computedAt: "2026-01-01T00:00:00Z" });
    const second = computeClusters(small.vectors.slice(), small.dim, small.nodes, { computedAt: "2026-01-01T00:00:00Z" });
    expect(second).toEqual(first);
    expect(first.computed_at).toBe("2026-01-01T00:00:00Z");
  });

  it("writes a document that validates, numbers clusters by size and covers every node once", () => {
    const doc = computeClusters(small.vectors, small.dim, small.nodes);
    const parsed = ClustersDocSchema.parse(JSON.parse(JSON.stringify(doc)));
    expect(parsed.node_count).toBe(small.rows);
    expect(parsed.clusters.map((c) => c.size).reduce((a, b) => a + b)).toBe(small.rows);
    const sizes = parsed.clusters.map((c) => c.size);
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    expect(parsed.ids_digest).toBe(idsDigest(small.nodes.map((n) => n.id)));
  });

  it("names representatives that are members of their cluster", () => {
    const doc = computeClusters(small.vectors, small.dim, small.nodes, { k: 8 });
    for (const cluster of doc.clusters) {
      const ids = new Set(clusterRows(doc, cluster.id).map((row) => small.nodes[row]!.id));
      expect(cluster.representative_ids.length).toBe(5);
      expect(cluster.representative_ids.every((id) => ids.has(id))).toBe(true);
    }
  });

  it("returns a document with no clusters for no vectors", () => {
    const doc = computeClusters(new Float32Array(0), 1024, []);
    expect(doc).toMatchObject({ k: 0, dim: 1024, node_count: 0, clusters: [], assignments: [] });
    expect(() => ClustersDocSchema.parse(doc)).not.toThrow();
  });

  it("puts a single vector in a single cluster labelled from its title", () => {
    const doc = computeClusters(Float32Array.of(0.6, 0.8), 2, [{ id: "a", title: "Sourdough starter", text: "How wet should it be?" }]);
    expect(doc.clusters).toEqual([
      { id: 0, size: 1, label: "Sourdough starter", terms: ["sourdough", "starter", "wet"], title: "Sourdough starter", representative_ids: ["a"], centroid_norm: 1 },
    ]);
    expect(doc.assignments).toEqual([0]);
  });

  it("never asks for more clusters than there are vectors", () => {
    const nodes = ["x", "y", "z"].map((id) => ({ id, title: null, text: id }));
    const doc = computeClusters(Float32Array.of(1, 0, 0, 1, -1, 0), 2, nodes, { k: 10 });
    expect(doc.k).toBe(3);
    expect(new Set(doc.assignments).size).toBe(3);
  });

  it("drops the empty clusters that identical vectors leave", () => {
    const vectors = new Float32Array(40).fill(0.5);
    const nodes = Array.from({ length: 10 }, (_, i) => ({ id: `n${i}`, title: null, text: "" }));
    const doc = computeClusters(vectors, 4, nodes, { k: 3 });
    expect(doc.k).toBe(1);
    expect(doc.clusters[0]).toMatchObject({ size: 10, label: "Cluster 1", terms: [] });
  });

  it("rejects vectors containing NaN, naming the row", () => {
    const vectors = Float32Array.of(1, 0, 0, 1, Number.NaN, 0);
    const nodes = ["a", "b", "c"].map((id) => ({ id, title: null, text: "" }));
    expect(() => computeClusters(vectors, 2, nodes)).toThrow(expect.objectContaining({ code: "invalid_vectors", message: expect.stringMatching(/vector 2/) }));
  });

  it("rejects node texts that do not line up with the vectors", () => {
    expect(() => computeClusters(new Float32Array(4), 2, [])).toThrow(/2 vectors but 0 nodes/);
    expect(() => computeClusters(new Float32Array(5), 2, [])).toThrow(/not a whole number/);
  });
});

describe("createClusterAccumulator", () => {
  it("gives the same clusters from streamed npy batches as from the whole matrix", async () => {
    const whole = computeClusters(small.vectors, small.dim, small.nodes);
    const file = encodeNpy(small.vectors, small.rows, small.dim);
    const pass1 = createClusterAccumulator(small.dim);
    for await (const batch of readNpyRows(bytesOf(file, 7777), { batchRows: 100 })) pass1.add(batch.rows);
    const pass2 = pass1.fit();
    for await (const batch of readNpyRows(bytesOf(file, 65536), { batchRows: 333 })) pass2.assign(batch.rows);
    expect(clustersDocument(pass2.result(), small.nodes)).toEqual(whole);
  });

  it("fits on a sample when there are more rows than the sample holds", () => {
    const doc = computeClusters(small.vectors, small.dim, small.nodes, { k: 8, sampleSize: 300 });
    expect(doc.params.sample_size).toBe(300);
    expect(purity(doc.assignments, small.topic)).toBeGreaterThan(0.95);
  });

  it("fits a whole sample where it lies as it fits the same rows added to a reservoir that holds them all", () => {
    const sample = small.vectors.subarray(0, 400 * small.dim);
    const pass1 = createClusterAccumulator(small.dim, { k: 8, sampleSize: 400, expectedRows: 400 });
    pass1.add(sample);
    const copied = pass1.fit(small.rows);
    const inPlace = fitWholeSample(small.dim, sample, { k: 8 }, small.rows);
    for (const pass2 of [copied, inPlace]) pass2.assign(small.vectors);
    const [expected, got] = [copied.result(), inPlace.result()];
    expect([...got.assignments]).toEqual([...expected.assignments]);
    expect([...got.sums]).toEqual([...expected.sums]);
    expect(got.representatives).toEqual(expected.representatives);
    expect(got.params).toEqual(expected.params);
    expect(purity(got.assignments, small.topic)).toBeGreaterThan(0.95);
    expect(() => fitWholeSample(small.dim, small.vectors.subarray(0, small.dim + 1), {}, 1)).toThrow(/not a whole number/);
  });

  it("refuses a second pass with a different number of rows", () => {
    const pass1 = createClusterAccumulator(2);
    pass1.add(Float32Array.of(1, 0, 0, 1));
    const pass2 = pass1.fit();
    pass2.assign(Float32Array.of(1, 0));
    expect(() => pass2.result()).toThrow(/pass 2 got 1 rows, pass 1 had 2/);
    expect(() => pass2.assign(Float32Array.of(1, 0, 0, 1))).toThrow(/more than the 2 rows/);
  });
});

describe("chooseK", () => {
  it.each([
    [0, 0],
    [1, 1],
    [2, 1],
    [8, 2],
    [200, 10],
    [5000, 50],
    [8192, 64],
    [100_000, 64],
  ])("picks %i vectors → k = %i", (rows, k) => {
    expect(chooseK(rows)).toBe(k);
  });
});

describe("invalid vectors found in either pass", () => {
  it("names the row of a NaN vector that only the assignment pass reads", () => {
    const vectors = new Float32Array(20 * 2).fill(0.5);
    vectors[17 * 2] = Number.POSITIVE_INFINITY;
    const nodes = Array.from({ length: 20 }, (_, i) => ({ id: `n${i}`, title: null, text: "" }));
    expect(() => computeClusters(vectors, 2, nodes, { sampleSize: 4, seed: 1 })).toThrow(/vector 17 contains NaN or infinite values/);
  });
});
