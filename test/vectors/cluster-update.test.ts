import { describe, expect, it } from "vitest";
import { createClusterUpdate, type ClustersHeader } from "../../lib/vectors/cluster-update";
import { chainIdsDigest } from "../../lib/vectors/clusters-doc";

/** Clusters whose member sums point along the first `k` axes of `dim` dimensions, `size` members each. */
function axisClusters(k: number, dim: number, size: number): { header: ClustersHeader; sums: Float32Array } {
  const sums = new Float32Array(k * dim);
  for (let c = 0; c < k; c++) sums[c * dim + c] = size;
  const header = {
    k,
    dim,
    node_count: k * size,
    ids_digest: "digest-before",
    clusters: Array.from({ length: k }, (_, id) => ({ id, size, centroid_norm: 1 })),
  } as unknown as ClustersHeader;
  return { header, sums };
}

/** A unit row mostly along axis `axis`, a little along `lean`. */
function row(dim: number, axis: number, lean: number): Float32Array {
  const out = new Float32Array(dim);
  out[axis] = 0.9;
  out[lean]! += Math.sqrt(1 - 0.81);
  return out;
}

describe("new nodes joining a vault's clusters", () => {
  // 8 dimensions: the WebAssembly kernel's lanes of four divide them; 6: the loop in JavaScript.
  for (const dim of [8, 6]) {
    it(`join the cluster of the nearest centre, and move its sum and size (${dim} dimensions)`, () => {
      const { header, sums } = axisClusters(3, dim, 10);
      const update = createClusterUpdate(header, sums);
      const rows = [row(dim, 2, 0), row(dim, 0, 1), row(dim, 1, 5), row(dim, 2, 4)];
      const block = new Float32Array(rows.length * dim);
      rows.forEach((values, at) => block.set(values, at * dim));

      expect([...update.add(block, ["a", "b", "c", "d"])]).toEqual([2, 0, 1, 2]);
      expect([...update.add(row(dim, 0, 3), ["e"])]).toEqual([0]);

      const { header: next, sums: after } = update.result();
      expect(next.clusters.map((cluster) => cluster.size)).toEqual([12, 11, 12]);
      expect(next.node_count).toBe(35);
      expect(next.fitted_node_count).toBe(30);
      expect(next.ids_digest).toBe(chainIdsDigest(chainIdsDigest("digest-before", ["a", "b", "c", "d"]), ["e"]));
      // Cluster 2's sum: its 10 members along axis 2, plus rows a and d.
      const expected = Array.from({ length: dim }, (_, i) => (i === 2 ? 10 : 0) + rows[0]![i]! + rows[3]![i]!);
      after.subarray(2 * dim, 3 * dim).forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 5));
    });
  }

  it("move a centre once its block is in: the next block is judged against the centres as they moved", () => {
    const dim = 8;
    const { header, sums } = axisClusters(2, dim, 1);
    const update = createClusterUpdate(header, sums);
    // Between the two axes, a little nearer axis 0: cluster 0.
    const between = new Float32Array(dim);
    between[0] = Math.sqrt(0.52);
    between[1] = Math.sqrt(0.48);
    expect([...update.add(between, ["first"])]).toEqual([0]);
    // Cluster 1 gains rows along axis 2, which turn its centre away from axis 1; the same row is then
    // farther from cluster 1 still. Cluster 0 gained `between`, which turned its centre towards it.
    const away = new Float32Array(3 * dim);
    for (let at = 0; at < 3; at++) away[at * dim + 1] = away[at * dim + 2] = Math.SQRT1_2;
    update.add(away, ["x", "y", "z"]);
    expect([...update.add(between, ["second"])]).toEqual([0]);
    expect(update.result().header.clusters.map((cluster) => cluster.size)).toEqual([3, 4]);
  });
});
