/**
 * Synthetic vault rows for the benches (bench:merge, bench:export): exchanges with topic words, dates a
 * minute apart, eight turns a conversation, and unit vectors around 200 seeded topic centres. The same
 * row number gives the same row in every process, so a child process can make its share of a vault.
 */
import type { VaultNode } from "../lib/ingest/vault-nodes";
import type { RowBlock } from "../lib/vaults/version-writer";
import { createRng } from "../lib/vectors/prng";

const TOPICS = 200;
const WORDS = ["invoice", "garden", "kernel", "violin", "mortgage", "glacier", "sourdough", "compiler", "marathon", "orchid", "telescope", "lease", "bicycle", "ferment", "quartz", "harbor"];

/** Topic centres, the same in every process (seeded). */
function centres(dim: number): Float32Array {
  const rng = createRng(0xbe9c4);
  const out = new Float32Array(TOPICS * dim);
  for (let i = 0; i < out.length; i++) out[i] = (rng.next() + rng.next() - 1) * 1.7;
  return out;
}

/** Rows [first, first + count) in blocks of 1,000: nodes and unit vectors near their topic's centre. */
export async function* syntheticBlocks(first: number, count: number, dim: number): AsyncGenerator<RowBlock> {
  const centre = centres(dim);
  for (let start = first; start < first + count; start += 1000) {
    const end = Math.min(first + count, start + 1000);
    const nodes: VaultNode[] = [];
    const vectors = new Float32Array((end - start) * dim);
    for (let row = start; row < end; row++) {
      const topic = (row * 7919) % TOPICS;
      const rng = createRng(row + 1);
      const at = (row - start) * dim;
      let norm = 0;
      for (let i = 0; i < dim; i++) {
        const value = centre[topic * dim + i]! + 0.8 * (rng.next() + rng.next() - 1) * 1.7;
        vectors[at + i] = value;
        norm += value * value;
      }
      for (let i = 0; i < dim; i++) vectors[at + i]! /= Math.sqrt(norm);
      const words = Array.from({ length: 40 }, (_, w) => WORDS[(topic + w * (1 + (topic % 5))) % WORDS.length]).join(" ");
      nodes.push({
        kind: "exchange",
        id: row.toString(16).padStart(32, "0"),
        source: "openai",
        conversation_id: `c-${topic}-${Math.floor(row / 8)}`,
        conversation_title: `Topic ${topic}`,
        sequence_index: row % 8,
        created_at: new Date(Date.UTC(2023, 0, 1) + row * 60_000).toISOString(),
        human: `Question ${row} about ${words.slice(0, 120)}?`,
        assistant: `Answer ${row}: ${words} ${words}.`,
        hash: row.toString(16).padStart(64, "0"),
        upload_id: "00000000-0000-4000-8000-000000000001",
      });
    }
    yield { nodes, vectors };
  }
}

/** The blocks of `source`, adding the time spent making them to `spent.ms` (not the measured step's cost). */
export async function* timed(source: AsyncGenerator<RowBlock>, spent: { ms: number }): AsyncGenerator<RowBlock> {
  for (;;) {
    const started = performance.now();
    const next = await source.next();
    spent.ms += performance.now() - started;
    if (next.done) return;
    yield next.value;
  }
}
