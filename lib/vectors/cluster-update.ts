import { chainIdsDigest } from "./clusters-doc";
import type { ClustersDoc } from "./clusters-doc";
import { createNearestKernel } from "./assign-kernel";
import { InvalidVectorsError } from "./errors";

/**
 * A vault's clusters are fitted again once it holds this many times the nodes of the last fit; until
 * then new nodes join the nearest existing cluster. Doubling keeps the total refitting work of a vault
 * proportional to its size (each node is refitted O(1) times on average), and a vault rarely changes
 * topics faster than it doubles.
 */
export const RECLUSTER_GROWTH = 2;

/** The clusters.json document without its assignments (what a merge reads of the previous version). */
export type ClustersHeader = Omit<ClustersDoc, "assignments">;

export interface ClusterUpdate {
  /** Adds whole rows (row-major, L2-normalised) with their node ids, in row order; returns their cluster ids. */
  add(rows: Float32Array, ids: readonly string[]): Int32Array;
  /** The updated header (sizes, centre lengths, node count, digest) and member sums, once every new row is in. */
  result(): { header: ClustersHeader; sums: Float32Array };
}

/**
 * New nodes joining the clusters of `header` by nearest centre: cosine with each cluster's normalised
 * member sum (spherical k-means' centroid), k dot products of `dim` floats per row. The sums move with
 * each block of rows added, a mini-batch k-means step (Sculley, "Web-scale k-means clustering", 2010:
 * https://dl.acm.org/doi/10.1145/1772690.1772862), so a cluster's centre follows what it gains. A block's
 * dot products are the WebAssembly kernel's (lib/vectors/assign-kernel.ts `createNearestKernel`): in
 * bench:merge's 1,000-row merge into a 100,000-node vault, the scalar loop that moved the centres row by
 * row took ~0.11 s of its ~0.46 s.
 */
export function createClusterUpdate(header: ClustersHeader, sums: Float32Array): ClusterUpdate {
  const { k, dim } = header;
  if (sums.length !== k * dim) throw new InvalidVectorsError(`cluster sums hold ${sums.length} floats, expected ${k} × ${dim}`);
  if (k === 0) throw new InvalidVectorsError("no clusters to add nodes to: fit them first");
  const own = Float64Array.from(sums);
  const sizes = header.clusters.map((cluster) => cluster.size);
  const centres = new Float32Array(k * dim);
  const refresh = (c: number) => {
    let norm = 0;
    for (let i = c * dim; i < (c + 1) * dim; i++) norm += own[i]! * own[i]!;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let i = c * dim; i < (c + 1) * dim; i++) centres[i] = own[i]! * scale;
  };
  for (let c = 0; c < k; c++) refresh(c);
  let added = 0;
  let digest = header.ids_digest;

  return {
    add(rows, ids) {
      const count = rows.length / dim;
      if (!Number.isInteger(count) || count !== ids.length) throw new InvalidVectorsError(`${rows.length} floats for ${ids.length} rows of ${dim}`);
      const out = nearestCentres(rows, count, dim, centres, k);
      const moved = new Set<number>();
      for (let r = 0; r < count; r++) {
        const best = out[r]!;
        sizes[best]!++;
        for (let i = 0, base = r * dim, at = best * dim; i < dim; i++) own[at + i]! += rows[base + i]!;
        moved.add(best);
      }
      for (const c of moved) refresh(c);
      added += count;
      digest = chainIdsDigest(digest, ids);
      return out;
    },
    result() {
      const clusters = header.clusters.map((cluster, c) => {
        let norm = 0;
        for (let i = c * dim; i < (c + 1) * dim; i++) norm += own[i]! * own[i]!;
        return { ...cluster, size: sizes[c]!, centroid_norm: sizes[c]! > 0 ? Math.round((Math.sqrt(norm) / sizes[c]!) * 1e4) / 1e4 : 0 };
      });
      return {
        header: { ...header, node_count: header.node_count + added, fitted_node_count: header.fitted_node_count ?? header.node_count, ids_digest: digest, clusters },
        sums: Float32Array.from(own),
      };
    },
  };
}

/** Each row's centre (of `centres`, k × dim) of highest dot product, the first on a tie. */
function nearestCentres(rows: Float32Array, count: number, dim: number, centres: Float32Array, k: number): Int32Array {
  const kernel = count > 0 ? createNearestKernel(rows, count, dim, k) : undefined;
  if (kernel) {
    kernel.assign(centres);
    return kernel.assignments().slice();
  }
  // Dimensions the kernel's four lanes do not divide.
  const out = new Int32Array(count);
  for (let r = 0; r < count; r++) {
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < k; c++) {
      let score = 0;
      for (let i = 0; i < dim; i++) score += rows[r * dim + i]! * centres[c * dim + i]!;
      if (score > bestScore) {
        bestScore = score;
        best = c;
      }
    }
    out[r] = best;
  }
  return out;
}
