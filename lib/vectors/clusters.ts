import { InvalidVectorsError } from "./errors";
import { createClusterAccumulator, resolveFitParams } from "./cluster-fit";
import type { ClusterFit, ClusterFitOptions } from "./cluster-fit";
import { labelClusters, nodeTextAt } from "./cluster-labels";
import type { LabelOptions, NodeText, NodeTextSource } from "./cluster-labels";
import { idsDigest } from "./clusters-doc";
import type { Cluster, ClustersDoc } from "./clusters-doc";
import { createRng } from "./prng";

/**
 * Topic clusters over a vault's vectors, for `indexes/clusters.json`. `computeClusters` works on a
 * matrix in memory; for a nodes.npy too large to hold, run the two passes yourself:
 *
 * ```ts
 * const pass1 = createClusterAccumulator(dim, options);
 * for await (const batch of readNpyRows(await openNpy())) pass1.add(batch.rows);
 * const pass2 = pass1.fit();
 * for await (const batch of readNpyRows(await openNpy())) pass2.assign(batch.rows);
 * const doc = clustersDocument(pass2.result(), nodes, options);
 * ```
 */
export { chooseK, createClusterAccumulator } from "./cluster-fit";
export type { ClusterAccumulator, ClusterAssigner, ClusterFit, ClusterFitOptions } from "./cluster-fit";
export type { LabelOptions, NodeText, NodeTextSource } from "./cluster-labels";
export { ClustersDocSchema, chainIdsDigest, clusterRows, createIdsDigest, idsDigest } from "./clusters-doc";
export { createClusterUpdate, RECLUSTER_GROWTH } from "./cluster-update";
export type { ClusterUpdate } from "./cluster-update";
export type { Cluster, ClustersDoc } from "./clusters-doc";

export const CLUSTER_ALGORITHM = "spherical-kmeans/count-sketch-shortlist";

export interface ClusterOptions extends ClusterFitOptions, LabelOptions {
  /** ISO timestamp to record; the caller supplies it so the result stays a pure function of the input. */
  computedAt?: string;
}

/**
 * Clusters an N × dim row-major matrix of L2-normalised vectors and labels the clusters from `nodes`
 * (row order). Deterministic for the same input and `seed`. N = 0 gives a document with no clusters.
 */
export function computeClusters(vectors: Float32Array, dim: number, nodes: NodeTextSource, options: ClusterOptions = {}): ClustersDoc {
  const rows = dim > 0 ? vectors.length / dim : 0;
  if (!Number.isInteger(rows) || (dim === 0 && vectors.length > 0)) {
    throw new InvalidVectorsError(`${vectors.length} floats is not a whole number of ${dim}-float rows`);
  }
  if (typeof nodes !== "function" && nodes.length !== rows) {
    throw new InvalidVectorsError(`${rows} vectors but ${nodes.length} nodes: they must be in the same order`);
  }
  if (rows === 0) return emptyDocument(dim, options);
  const pass1 = createClusterAccumulator(dim, options);
  pass1.add(vectors);
  const pass2 = pass1.fit();
  pass2.assign(vectors);
  return clustersDocument(pass2.result(), nodes, options);
}

/**
 * Builds the clusters.json document from a finished fit: drops empty clusters, numbers the rest by size
 * (largest first), labels them, and records which node order the assignments refer to.
 */
export function clustersDocument(fit: ClusterFit, nodes: NodeTextSource, options: ClusterOptions = {}): ClustersDoc {
  const nodeAt = nodeTextAt(nodes);
  return clustersDocumentFrom(fit, { textAt: nodeAt, idAt: (row) => nodeAt(row).id, idsDigest: idsDigest(rowIds(nodeAt, fit.rows)) }, options);
}

/** What a clusters document needs of the nodes when they are too many to hold: see {@link labelRows}. */
export interface ClusterNodeSource {
  /** Text of the rows `labelRows` names (labels read a sample of each cluster). */
  textAt(row: number): NodeText;
  /** Id of a cluster's representative rows. */
  idAt(row: number): string;
  /** {@link idsDigest} of every node id in row order. */
  idsDigest: string;
}

/** {@link clustersDocument} from a source that knows only the rows the document reads. */
export function clustersDocumentFrom(fit: ClusterFit, nodes: ClusterNodeSource, options: ClusterOptions = {}): ClustersDoc {
  const order = clusterOrder(fit.sizes);
  const newId = new Int32Array(fit.k).fill(-1);
  order.forEach((c, i) => (newId[c] = i));
  const assignments = Array.from(fit.assignments, (c) => newId[c]!);
  const members: number[][] = order.map(() => []);
  assignments.forEach((c, row) => members[c]!.push(row));
  const labels = labelClusters(members, nodes.textAt, createRng(fit.params.seed ^ 0x1abe1), options);
  const clusters: Cluster[] = order.map((c, i) => ({
    id: i,
    size: fit.sizes[c]!,
    label: labels[i]!.label || `Cluster ${i + 1}`,
    terms: labels[i]!.terms,
    title: labels[i]!.title,
    representative_ids: fit.representatives[c]!.map((row) => nodes.idAt(row)),
    centroid_norm: Math.round(fit.centroidNorms[c]! * 1e4) / 1e4,
  }));
  return {
    ...header(clusters.length, fit.dim, fit.rows, fit.params, fit.iterations, options),
    fitted_node_count: fit.rows,
    ids_digest: nodes.idsDigest,
    clusters,
    assignments,
  };
}

/**
 * The rows whose text labelling `fit` reads (a sample of each cluster, drawn exactly as
 * {@link clustersDocumentFrom} draws it), so a caller can fetch just those, plus the representatives'.
 */
export function labelRows(fit: ClusterFit, options: LabelOptions = {}): Set<number> {
  const order = clusterOrder(fit.sizes);
  const newId = new Int32Array(fit.k).fill(-1);
  order.forEach((c, i) => (newId[c] = i));
  const members: number[][] = order.map(() => []);
  fit.assignments.forEach((c, row) => members[newId[c]!]!.push(row));
  const rows = new Set<number>();
  // The sampling draws depend only on the members and the seed, never on the texts read.
  labelClusters(members, (row) => (rows.add(row), { id: "", title: null, text: "" }), createRng(fit.params.seed ^ 0x1abe1), options);
  for (const c of order) for (const row of fit.representatives[c]!) rows.add(row);
  return rows;
}

/** Member sums of the document's clusters, in its order (k × dim): what {@link createClusterUpdate} starts from. */
export function clusterSums(fit: ClusterFit): Float32Array {
  const order = clusterOrder(fit.sizes);
  const out = new Float32Array(order.length * fit.dim);
  order.forEach((c, i) => out.set(fit.sums.subarray(c * fit.dim, (c + 1) * fit.dim), i * fit.dim));
  return out;
}

/** Non-empty clusters, largest first (ties by index): the document's numbering. */
function clusterOrder(sizes: Int32Array): number[] {
  return [...sizes.keys()].filter((c) => sizes[c]! > 0).sort((a, b) => sizes[b]! - sizes[a]! || a - b);
}

function emptyDocument(dim: number, options: ClusterOptions): ClustersDoc {
  const params = resolveFitParams(options);
  return { ...header(0, dim, 0, params, 0, options), fitted_node_count: 0, ids_digest: idsDigest([]), clusters: [], assignments: [] };
}

function header(k: number, dim: number, nodeCount: number, params: ClusterFit["params"], iterations: number, options: ClusterOptions) {
  return {
    version: 1 as const,
    algorithm: CLUSTER_ALGORITHM,
    k,
    dim,
    node_count: nodeCount,
    ...(options.computedAt ? { computed_at: options.computedAt } : {}),
    params: {
      seed: params.seed,
      sketch_dim: Math.min(params.sketchDim, dim),
      sample_size: Math.min(params.sampleSize, nodeCount),
      iterations,
      refine_iterations: params.refineIterations,
      shortlist: params.shortlist,
      shortlist_margin: params.shortlistMargin,
    },
  };
}

function* rowIds(nodeAt: (row: number) => NodeText, rows: number): Generator<string> {
  for (let row = 0; row < rows; row++) yield nodeAt(row).id;
}
