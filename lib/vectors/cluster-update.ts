import { chainIdsDigest } from "./clusters-doc";
import type { ClustersDoc } from "./clusters-doc";
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
 * each row added, like one online k-means step, so a cluster's centre follows what it gains.
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
      const out = new Int32Array(count);
      for (let r = 0; r < count; r++) {
        const base = r * dim;
        let best = 0;
        let bestScore = -Infinity;
        for (let c = 0; c < k; c++) {
          const centre = c * dim;
          let score = 0;
          for (let i = 0; i < dim; i++) score += rows[base + i]! * centres[centre + i]!;
          if (score > bestScore) {
            bestScore = score;
            best = c;
          }
        }
        out[r] = best;
        sizes[best]!++;
        for (let i = 0; i < dim; i++) own[best * dim + i]! += rows[base + i]!;
        refresh(best);
      }
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
