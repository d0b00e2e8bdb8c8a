import { createHash } from "node:crypto";
import { z } from "zod";

/**
 * `indexes/clusters.json`: topic clusters over all of a vault's vectors.
 *
 * Membership is stored once, as `assignments`: the cluster id of every node, in the row order of
 * `corpus/nodes.json` and `vectors/nodes.npy` (≈ 3 bytes a node in JSON, where member id lists would
 * be ≈ 40). It gives a node's cluster in O(1) and a cluster's rows with one filter (`clusterRows`), and
 * row indices are what a vector search restricted to a topic needs. `ids_digest` pins the node order the
 * assignments refer to, so a reader can tell the file is stale after nodes.json changed (a merge that
 * appends rows extends it with `chainIdsDigest` rather than rehashing every id). Each cluster
 * also names a few `representative_ids` (members closest to its centre) for display.
 *
 * Clusters are fitted on all vectors when a vault is first filled and again whenever it has grown by
 * `RECLUSTER_GROWTH` since (`fitted_node_count` is the node count of that fit); in between, each merge
 * adds its new nodes to the cluster with the nearest centre (the normalised sum of its members) and
 * updates the sizes and `centroid_norm`s, while ids, labels and representatives stay those of the fit.
 * Ids are numbered by size at the fit, so sizes may drift out of that order until the next one.
 */
export const ClusterSchema = z.object({
  /** 0-based, ordered by size (largest first). */
  id: z.number().int().nonnegative(),
  size: z.number().int().positive(),
  label: z.string(),
  terms: z.array(z.string()),
  /** A conversation title shared by at least half of the members, when there is one. */
  title: z.string().nullable(),
  representative_ids: z.array(z.string()),
  /** Length of the members' mean vector, in [0, 1]: their mean cosine to the centroid. Higher = tighter. */
  centroid_norm: z.number(),
});

export const ClustersDocSchema = z
  .object({
    version: z.literal(1),
    algorithm: z.string(),
    params: z.object({
      seed: z.number().int(),
      sketch_dim: z.number().int(),
      sample_size: z.number().int(),
      iterations: z.number().int(),
      refine_iterations: z.number().int(),
      shortlist: z.number().int(),
      shortlist_margin: z.number(),
    }),
    k: z.number().int().nonnegative(),
    dim: z.number().int().nonnegative(),
    node_count: z.number().int().nonnegative(),
    /** Nodes when the clusters were last fitted (absent in documents written before merges appended). */
    fitted_node_count: z.number().int().nonnegative().optional(),
    computed_at: z.string().optional(),
    ids_digest: z.string(),
    clusters: z.array(ClusterSchema),
    assignments: z.array(z.number().int().nonnegative()),
  })
  .superRefine((doc, ctx) => {
    if (doc.clusters.length !== doc.k) ctx.addIssue({ code: "custom", message: `k is ${doc.k} but there are ${doc.clusters.length} clusters` });
    if (doc.assignments.length !== doc.node_count) {
      ctx.addIssue({ code: "custom", message: `${doc.assignments.length} assignments for ${doc.node_count} nodes` });
    }
    const sizes = new Array<number>(doc.k).fill(0);
    for (const c of doc.assignments) {
      if (c >= doc.k) return ctx.addIssue({ code: "custom", message: `assignment to cluster ${c} of ${doc.k}` });
      sizes[c]!++;
    }
    doc.clusters.forEach((cluster, i) => {
      if (cluster.id !== i) ctx.addIssue({ code: "custom", message: `cluster ${i} has id ${cluster.id}` });
      if (cluster.size !== sizes[i]) ctx.addIssue({ code: "custom", message: `cluster ${i} says size ${cluster.size}, has ${sizes[i]}` });
    });
  });

export type ClustersDoc = z.infer<typeof ClustersDocSchema>;
export type Cluster = z.infer<typeof ClusterSchema>;

/** Rows (indices into nodes.json / nodes.npy) of one cluster, ascending. */
export function clusterRows(doc: Pick<ClustersDoc, "assignments">, clusterId: number): number[] {
  const rows: number[] = [];
  doc.assignments.forEach((c, row) => {
    if (c === clusterId) rows.push(row);
  });
  return rows;
}

/** `sha256:<hex>` of the node ids in row order, each followed by "\n": the order assignments refer to. */
export function idsDigest(ids: Iterable<string>): string {
  const digest = createIdsDigest();
  for (const id of ids) digest.add(id);
  return digest.digest();
}

/** {@link idsDigest} fed one id at a time, for node lists too long to hold. */
export function createIdsDigest() {
  const hash = createHash("sha256");
  return {
    add: (id: string) => void hash.update(`${id}\n`),
    digest: () => `sha256:${hash.digest("hex")}`,
  };
}

/**
 * The digest after a merge appended `ids` to the rows `previous` describes: the same hash over the
 * previous digest's line and then the new ids. It pins the row order as firmly (a different order or
 * set of rows gives another digest) without reading the earlier ids again.
 */
export function chainIdsDigest(previous: string, ids: Iterable<string>): string {
  const hash = createHash("sha256");
  hash.update(`${previous}\n`);
  for (const id of ids) hash.update(`${id}\n`);
  return `sha256:${hash.digest("hex")}`;
}
