/**
 * A planted-topics vault as the reducer writes one (bench:search, bench:chat): the nodes.json lines of
 * the first `rows` planted texts as ChatGPT exchanges, and the matrix in 4,096-row blocks for nodes.npy.
 */
import { plantedNode } from "../test/vectors/fixtures/planted-nodes";
import type { plantedTopics } from "../test/vectors/fixtures/planted-topics";

export async function* plantedNodeLines(corpus: ReturnType<typeof plantedTopics>, rows: number): AsyncGenerator<string> {
  for (let row = 0; row < rows; row++) yield JSON.stringify(plantedNode(corpus, row));
}

export async function* matrixBlocks(data: Float32Array, rows: number, dim: number): AsyncGenerator<Float32Array> {
  for (let row = 0; row < rows; row += 4096) yield data.subarray(row * dim, Math.min(rows, row + 4096) * dim);
}
