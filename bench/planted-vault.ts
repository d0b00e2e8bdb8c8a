/**
 * A planted-topics vault as the reducer writes one (bench:search, bench:chat): the nodes.json lines of
 * the first `rows` planted texts as ChatGPT exchanges, and the matrix in 4,096-row blocks for nodes.npy.
 */
import { createHash } from "node:crypto";
import type { VaultNode } from "../lib/ingest/vault-nodes";
import type { plantedTopics } from "../test/vectors/fixtures/planted-topics";

export async function* plantedNodeLines(corpus: ReturnType<typeof plantedTopics>, rows: number): AsyncGenerator<string> {
  const epoch = Date.UTC(2023, 0, 1);
  for (let row = 0; row < rows; row++) {
    const planted = corpus.nodes[row]!;
    const cut = planted.text.indexOf(" ", planted.text.length / 3);
    const node: VaultNode = {
      kind: "exchange",
      id: createHash("sha256").update(planted.id).digest("hex").slice(0, 32),
      source: "openai",
      conversation_id: `conversation-${corpus.topic[row]}-${Math.floor(row / 8)}`,
      conversation_title: planted.title,
      sequence_index: row % 8,
      created_at: new Date(epoch + row * 60_000).toISOString(),
      human: planted.text.slice(0, cut),
      assistant: planted.text.slice(cut + 1),
      hash: createHash("sha256").update(`h${row}`).digest("hex"),
      upload_id: "00000000-0000-4000-8000-000000000001",
    };
    yield JSON.stringify(node);
  }
}

export async function* matrixBlocks(data: Float32Array, rows: number, dim: number): AsyncGenerator<Float32Array> {
  for (let row = 0; row < rows; row += 4096) yield data.subarray(row * dim, Math.min(rows, row + 4096) * dim);
}
