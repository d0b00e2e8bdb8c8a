/**
 * `npm run bench:merge [-- --rows 100000 --add 1000 --dim 1024]`: what a merge costs as the vault grows
 * (issue 12). Each merge runs in its own child process against the same local store (the patched
 * emulator in this process), so its peak memory is that process's own maximum resident set:
 *
 * - `add` rows into an empty vault, then `rows` rows into an empty vault (the vault-sized merge),
 *   then `add` rows into that `rows`-node vault — time, bytes through the function (GET and PUT
 *   bodies) and bytes the store copied itself, peak memory, and where the time went;
 * - baseline, same run: streaming the `rows`-node vault's nodes.json and nodes.npy through one
 *   function and back (the least any merge that rewrites the vault moves; the reducer did that and more
 *   before merges appended).
 *
 * Targets: the small merge into the large vault takes ≤ 10 % of the vault-sized merge's time and moves
 * ≤ 5 % of the vault's bytes through the function; its peak memory is within ±20 % of the same merge
 * into an empty vault.
 *
 * Rows are synthetic exchanges (bench/synthetic-vault.ts), made block by block in the child so no
 * process holds an upload it would not hold in production. As in the pipeline, each block brings its
 * nodes.json lines, label texts and the search part its embed worker would have made (lib/search/segment-builder.ts),
 * made with the rows and not counted in the merge's time; `--parts no` leaves them out, so the merge
 * indexes every row itself.
 */
import os from "node:os";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { parseArgs } from "node:util";
import { labelText } from "../lib/ingest/vault-nodes";
import { meteredStore } from "../lib/store/metered";
import { objectStream, putStream } from "../lib/store/streams";
import { decodeSegmentPart, encodeSegmentPart } from "../lib/search/segment-builder";
import { writeAppendedVersion, type RowBlock } from "../lib/vaults/version-writer";
import { versionKeys } from "../lib/vaults/versions";
import { encodeSample, inSample, samplePriority } from "../lib/vectors/sample-file";
import { nodeOptions, queues } from "../functions/manifest";
import { benchStore, progress, runStep, withBenchEmulator } from "./child-steps";
import { syntheticBlocks, timed } from "./synthetic-vault";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "100000" },
    add: { type: "string", default: "1000" },
    dim: { type: "string", default: "1024" },
    parts: { type: "string", default: "yes" },
    // Child mode (one merge): set by the parent.
    stage: { type: "string" },
    endpoint: { type: "string" },
    prefix: { type: "string" },
    previous: { type: "string", default: "0" },
    first: { type: "string", default: "0" },
    count: { type: "string", default: "0" },
    sampled: { type: "string", default: "no" },
  },
});
const BUCKET = "cogzy-bench";
const DIM = Number(values.dim);

process.env.LOG_LEVEL ??= "warn";

interface StageResult {
  /** Merge time, without making the synthetic rows (that is `generateMs`). */
  ms: number;
  generateMs: number;
  through: number;
  copied: number;
  /** Of `ms`, the store completing the composed files (it assembles the copied parts). */
  completeMs: number;
  vaultBytes: number;
  rssBeforeMb: number;
  peakMb: number;
  timings?: { filesMs: number; clustersMs: number; searchMs: number };
  clusters?: string;
}

/** Child: one merge (or the baseline copy), reporting on stdout as JSON. */
async function runStage(): Promise<void> {
  const { store, meter } = meteredStore(benchStore(values.endpoint!, BUCKET));
  const prefix = values.prefix!;
  const previous = Number(values.previous);
  const first = Number(values.first);
  const count = Number(values.count);
  const rssBeforeMb = process.memoryUsage().rss / 2 ** 20;
  const generated = { ms: 0 };
  let started = performance.now();
  let meteredBefore = 0;
  let result: Omit<StageResult, "rssBeforeMb" | "peakMb" | "ms" | "through" | "generateMs">;
  if (values.stage === "merge") {
    // With `--sampled yes`, the chunks' clustering samples as a large upload's embed workers write them,
    // made first (not timed), one per 1,000-row block.
    const sampleFiles = values.sampled === "yes" ? await writeSamples(store, prefix, first, count) : undefined;
    started = performance.now();
    meteredBefore = meter.read + meter.written;
    const written = await writeAppendedVersion(store, {
      sampleFiles,
      prefix,
      previous,
      previousNodes: first,
      added: count,
      embedder: { embedder: "local", model: "bench-synthetic", dim: DIM },
      blocks: timed(values.parts === "no" ? syntheticBlocks(first, count, DIM) : withParts(syntheticBlocks(first, count, DIM)), generated),
    });
    const files = Object.values(written.files);
    result = { copied: files.reduce((sum, file) => sum + file.copied, 0), completeMs: Math.max(written.files.nodes.completeMs, written.files.vectors.completeMs) + written.files.clusters.completeMs, vaultBytes: written.bytes, timings: written.timings, clusters: written.clusters };
  } else {
    const from = versionKeys(prefix, previous);
    let bytes = 0;
    for (const key of [from.nodes, from.vectors]) bytes += await putStream(store, `${key}.copy`, await objectStream(store, key), "application/octet-stream");
    result = { copied: 0, completeMs: 0, vaultBytes: bytes };
  }
  const ms = performance.now() - started - generated.ms;
  const out: StageResult = { ...result, ms, generateMs: generated.ms, through: meter.read + meter.written - meteredBefore, rssBeforeMb, peakMb: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  store.client.destroy();
}

/** Writes a clustering sample (lib/vectors/sample-file.ts) per 1,000-row block of the rows to merge. */
async function writeSamples(store: ReturnType<typeof benchStore>, prefix: string, first: number, count: number): Promise<string[]> {
  const keys: string[] = [];
  for await (const { nodes, vectors } of syntheticBlocks(first, count, DIM)) {
    const sampled = nodes!.flatMap((node, row) => (inSample(samplePriority(node.hash)) ? [row] : []));
    const rows = new Float32Array(sampled.length * DIM);
    sampled.forEach((row, at) => rows.set(vectors!.subarray(row * DIM, (row + 1) * DIM), at * DIM));
    const key = `${prefix}/work/sample-${keys.length}.bin`;
    await store.client.send(new PutObjectCommand({ Bucket: store.bucket, Key: key, Body: encodeSample(DIM, sampled.map((row) => samplePriority(nodes![row]!.hash)), rows) }));
    keys.push(key);
  }
  return keys;
}

/**
 * The blocks as chunks reach the merge: their lines, and the search part their embed worker made with
 * each row's label text in it, instead of the nodes (lib/ingest/merge-upload.ts).
 */
async function* withParts(blocks: AsyncGenerator<RowBlock>): AsyncGenerator<RowBlock> {
  for await (const { nodes, vectors } of blocks) {
    const lines = nodes!.map((node) => Buffer.from(JSON.stringify(node), "utf8"));
    yield { vectors, lines, labels: nodes!.map((node) => labelText(node)), segmentPart: decodeSegmentPart(encodeSegmentPart(nodes!, lines)) };
  }
}

function child(args: Record<string, string | number>): Promise<StageResult> {
  // The merge function's heap: its young generation is part of every merge's peak.
  return runStep<StageResult>(import.meta.filename, { dim: DIM, parts: values.parts!, ...args }, nodeOptions(queues.reduce.consumer!));
}

async function main(): Promise<void> {
  const rows = Number(values.rows);
  const add = Number(values.add);
  if (values.sampled === "compare") return compareSampled(rows);
  await withBenchEmulator("bench-merge-", BUCKET, async (endpoint) => {
    progress(`${add} rows into an empty vault`);
    const small = await child({ stage: "merge", endpoint, prefix: "users/small", previous: 0, first: 0, count: add });
    progress(`${rows} rows into an empty vault`);
    const large = await child({ stage: "merge", endpoint, prefix: "users/large", previous: 0, first: 0, count: rows });
    progress(`${add} rows into the ${rows}-node vault`);
    const grown = await child({ stage: "merge", endpoint, prefix: "users/large", previous: 1, first: rows, count: add });
    progress(`baseline: the ${rows}-node vault's files through one function`);
    const baseline = await child({ stage: "stream", endpoint, prefix: "users/large", previous: 1 });

    const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
    const row = (name: string, r: StageResult) =>
      `  ${name.padEnd(50)} ${(r.ms / 1000).toFixed(2).padStart(7)} s ${mb(r.through).padStart(10)} ${mb(r.copied).padStart(10)} ${`${r.peakMb.toFixed(0)} MB`.padStart(9)} ${`${r.rssBeforeMb.toFixed(0)} MB`.padStart(9)}`;
    const phases = (name: string, r: StageResult) =>
      r.timings ? `  ${name.padEnd(50)} files ${((r.timings.filesMs - r.generateMs) / 1000).toFixed(2)} s (of which the store completing the files ${(r.completeMs / 1000).toFixed(2)} s; + ${(r.generateMs / 1000).toFixed(2)} s making the synthetic rows, not counted), clusters ${(r.timings.clustersMs / 1000).toFixed(2)} s (${r.clusters}) and search segment ${(r.timings.searchMs / 1000).toFixed(2)} s (both while the store completes the files), rest ${(Math.max(0, r.ms + r.generateMs - r.timings.filesMs - Math.max(0, r.timings.clustersMs + r.timings.searchMs - r.completeMs)) / 1000).toFixed(2)} s` : "";
    const timeShare = grown.ms / large.ms;
    const byteShare = grown.through / large.vaultBytes;
    const memoryRatio = grown.peakMb / small.peakMb;
    process.stdout.write(
      [
        `merge bench: ${rows}-node vault, ${add}-row upload, dim ${DIM}; ${os.availableParallelism()} cores, load average ${os.loadavg()[0]!.toFixed(1)} at the end; one child process per merge; blocks bring their search parts: ${values.parts === "no" ? "no" : "yes"}`,
        `  ${"".padEnd(50)} ${"time".padStart(9)} ${"through fn".padStart(10)} ${"copied".padStart(10)} ${"peak RSS".padStart(9)} ${"RSS at start".padStart(9)}`,
        row(`${add} into an empty vault`, small),
        row(`${rows} into an empty vault (the vault-sized merge)`, large),
        row(`${add} into the ${rows}-node vault`, grown),
        row(`baseline: the vault's files through one function`, baseline),
        "",
        "where the time goes",
        phases(`${add} into an empty vault`, small),
        phases(`${rows} into an empty vault`, large),
        phases(`${add} into the ${rows}-node vault`, grown),
        `  (the ${rows}-row segment's search graph is built after the version switch: bench:search times that build)`,
        "",
        `vault: ${mb(large.vaultBytes)} (nodes.json + nodes.npy + clusters.json)`,
        `target merge time ≤ 10 % of the vault-sized merge: ${(timeShare * 100).toFixed(1)} % ${timeShare <= 0.1 ? "MET" : "NOT MET"}`,
        `target ≤ 5 % of the vault's bytes through the function: ${(byteShare * 100).toFixed(2)} % ${byteShare <= 0.05 ? "MET" : "NOT MET"} (baseline moved ${mb(baseline.through)} in ${(baseline.ms / 1000).toFixed(2)} s)`,
        `target peak memory within ±20 % of the same upload into an empty vault: ${memoryRatio.toFixed(2)}× ${Math.abs(memoryRatio - 1) <= 0.2 ? "MET" : "NOT MET"}`,
        "",
      ].join("\n"),
    );
  });
}

/**
 * `--sampled compare`: the vault-sized merge (`rows` into an empty vault) clustered here, every row kept
 * for the second pass, against clustered on its own thread from the chunks' samples
 * (lib/vectors/cluster-thread.ts), alternating, two rounds. Each in its own process, as in a function.
 */
async function compareSampled(rows: number): Promise<void> {
  await withBenchEmulator("bench-merge-sampled-", BUCKET, async (endpoint) => {
    const lines: string[] = [];
    for (let round = 0; round < 2; round++) {
      for (const sampled of ["no", "yes"]) {
        progress(`${rows} rows into an empty vault, ${sampled === "yes" ? "clustered on its own thread from samples" : "clustered here"} (round ${round + 1})`);
        const r = await child({ stage: "merge", endpoint, prefix: `users/sampled-${sampled}-${round}`, previous: 0, first: 0, count: rows, sampled });
        const t = r.timings!;
        lines.push(
          `  ${(sampled === "yes" ? "on its own thread, fitted on the samples" : "here, every row kept (before)").padEnd(42)} ${(r.ms / 1000).toFixed(2).padStart(6)} s; files ${((t.filesMs - r.generateMs) / 1000).toFixed(2)} s, then clusters ${(t.clustersMs / 1000).toFixed(2)} s and search ${(t.searchMs / 1000).toFixed(2)} s from the last row on; peak RSS ${r.peakMb.toFixed(0)} MB`,
        );
      }
    }
    process.stdout.write([`the ${rows}-row merge into an empty vault, dim ${DIM}, ${os.availableParallelism()} cores, alternating`, ...lines, ""].join("\n"));
  });
}

if (values.stage) await runStage();
else await main();
