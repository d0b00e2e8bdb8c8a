/**
 * `npm run bench:forget [-- --rows 100000 --add 1000 --dim 1024 --no-graphs]`: what forgetting one conversation
 * costs in a vault of `rows` memories, next to merges of the same vault in the same run (issue 10).
 * Each step runs in its own child process against the same local store (the emulator in this
 * process), so its peak memory is that process's own maximum resident set:
 *
 * - setup: `rows` rows into an empty vault (the vault-sized merge), then `add` rows into it (a merge
 *   of the same vault: O(new), the store copies the rest);
 * - the forget of one 8-turn conversation in the middle of the vault: the reduce job's work without
 *   its database statements — finding the rows (one pass over nodes.json), then writing the whole next
 *   version without them (lib/forgets/forget-memories.ts): time, bytes through the function (GET and
 *   PUT bodies), peak memory, and where the time went;
 * - after the forget's version switch, the search graph of the rewritten segments (searches scan those
 *   rows exactly until it is ready; a merge keeps its segments' graphs);
 * - baseline: streaming the vault's nodes.json and nodes.npy through one function and back, the least
 *   any rewrite of the vault moves.
 *
 * The synthetic rows are bench/synthetic-vault.ts's (row r has id r in hex, eight turns a conversation).
 */
import os from "node:os";
import { parseArgs } from "node:util";
import { keptRows, matchingRows } from "../lib/forgets/forget-memories";
import { meteredStore } from "../lib/store/metered";
import { objectStream, putStream } from "../lib/store/streams";
import { buildPendingGraphs, readSearchManifest } from "../lib/search/version-indexes";
import { writeAppendedVersion, writeWholeVersion } from "../lib/vaults/version-writer";
import { versionKeys } from "../lib/vaults/versions";
import { nodeOptions, queues } from "../functions/manifest";
import { benchStore, progress, runStep, withBenchEmulator } from "./child-steps";
import { syntheticBlocks, timed } from "./synthetic-vault";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "100000" },
    add: { type: "string", default: "1000" },
    dim: { type: "string", default: "1024" },
    "no-graphs": { type: "boolean", default: false },
    // Child mode (one step): set by the parent.
    stage: { type: "string" },
    endpoint: { type: "string" },
    prefix: { type: "string" },
    previous: { type: "string", default: "0" },
    first: { type: "string", default: "0" },
    count: { type: "string", default: "0" },
  },
});
const BUCKET = "cogzy-bench";
const DIM = Number(values.dim);
const EMBEDDER = { embedder: "local" as const, model: "bench-synthetic", dim: DIM };
/** The forgotten conversation: 8 consecutive rows (one conversation's turns) at `first`. */
const CONVERSATION_ROWS = 8;

process.env.LOG_LEVEL ??= "warn";

interface StepResult {
  ms: number;
  generateMs: number;
  through: number;
  copied: number;
  vaultBytes: number;
  peakMb: number;
  rows: number;
  phases?: Record<string, number>;
}

/** Child: one step, reporting on stdout as JSON. */
async function runStage(): Promise<void> {
  const { store, meter } = meteredStore(benchStore(values.endpoint!, BUCKET));
  const prefix = values.prefix!;
  const previous = Number(values.previous);
  const first = Number(values.first);
  const count = Number(values.count);
  const generated = { ms: 0 };
  const started = performance.now();
  let result: Pick<StepResult, "copied" | "vaultBytes" | "rows" | "phases">;
  if (values.stage === "merge") {
    const written = await writeAppendedVersion(store, { prefix, previous, previousNodes: first, added: count, embedder: EMBEDDER, blocks: timed(syntheticBlocks(first, count, DIM), generated) });
    const files = Object.values(written.files);
    result = { copied: files.reduce((sum, file) => sum + file.copied, 0), vaultBytes: written.bytes, rows: written.nodeCount, phases: written.timings };
  } else if (values.stage === "forget") {
    const from = versionKeys(prefix, previous);
    const ids = new Set(Array.from({ length: CONVERSATION_ROWS }, (_, i) => (first + i).toString(16).padStart(32, "0")));
    const matched = await matchingRows(store, from.nodes, (node) => ids.has(node.id));
    const findMs = performance.now() - started;
    if (matched.rows.size !== CONVERSATION_ROWS) throw new Error(`found ${matched.rows.size} rows of the conversation`);
    const written = await writeWholeVersion(store, {
      prefix,
      version: previous + 1,
      rows: count - matched.rows.size,
      embedder: EMBEDDER,
      blocks: keptRows(store, from, count, DIM, matched.rows),
      maxVectorBytesInMemory: 0,
    });
    result = { copied: 0, vaultBytes: written.bytes, rows: written.nodeCount, phases: { findMs, ...written.timings } };
  } else if (values.stage === "graphs") {
    const keys = versionKeys(prefix, previous);
    const manifest = (await readSearchManifest(store, keys))!;
    const built = await buildPendingGraphs(store, keys, manifest);
    result = { copied: 0, vaultBytes: built.files.vectors, rows: built.segments.filter((segment) => segment.graph === "ready").reduce((sum, segment) => sum + segment.rows, 0) };
  } else {
    const from = versionKeys(prefix, previous);
    let bytes = 0;
    for (const key of [from.nodes, from.vectors]) bytes += await putStream(store, `${key}.copy`, await objectStream(store, key), "application/octet-stream");
    result = { copied: 0, vaultBytes: bytes, rows: count };
  }
  const ms = performance.now() - started - generated.ms;
  const out: StepResult = { ...result, ms, generateMs: generated.ms, through: meter.read + meter.written, peakMb: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  store.client.destroy();
}

function child(args: Record<string, string | number>): Promise<StepResult> {
  // Forgets run in the merge function (the reduce queue), with its heap.
  return runStep<StepResult>(import.meta.filename, { dim: DIM, ...args }, nodeOptions(queues.reduce.consumer!));
}

async function main(): Promise<void> {
  const rows = Number(values.rows);
  const add = Number(values.add);
  await withBenchEmulator("bench-forget-", BUCKET, async (endpoint) => {
    const prefix = "users/forget";
    progress(`${rows} rows into an empty vault`);
    const large = await child({ stage: "merge", endpoint, prefix, previous: 0, first: 0, count: rows });
    progress(`${add} rows into the ${rows}-node vault`);
    const merge = await child({ stage: "merge", endpoint, prefix, previous: 1, first: rows, count: add });
    const total = rows + add;
    progress(`forget one ${CONVERSATION_ROWS}-turn conversation of the ${total}-node vault`);
    const forget = await child({ stage: "forget", endpoint, prefix, previous: 2, first: Math.floor(rows / 2 / CONVERSATION_ROWS) * CONVERSATION_ROWS, count: total });
    let graphs: StepResult | undefined;
    if (!values["no-graphs"]) {
      progress("the rewritten segments' search graphs, after the switch");
      graphs = await child({ stage: "graphs", endpoint, prefix, previous: 3 });
    }
    progress(`baseline: the ${total}-node vault's files through one function`);
    const baseline = await child({ stage: "stream", endpoint, prefix, previous: 2, count: total });

    const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    const row = (name: string, r: StepResult) => `  ${name.padEnd(58)} ${s(r.ms).padStart(9)} ${mb(r.through).padStart(10)} ${mb(r.copied).padStart(10)} ${`${r.peakMb.toFixed(0)} MB`.padStart(9)}`;
    const phases = forget.phases!;
    process.stdout.write(
      [
        `forget bench: ${total}-node vault, dim ${DIM}; ${os.availableParallelism()} cores, load average ${os.loadavg()[0]!.toFixed(1)} at the end; one child process per step`,
        `  ${"".padEnd(58)} ${"time".padStart(9)} ${"through fn".padStart(10)} ${"copied".padStart(10)} ${"peak RSS".padStart(9)}`,
        row(`merge: ${rows} into an empty vault (the vault-sized merge)`, large),
        row(`merge: ${add} into the ${rows}-node vault`, merge),
        row(`forget: one ${CONVERSATION_ROWS}-turn conversation of the ${total}-node vault`, forget),
        ...(graphs ? [row(`  then, after the switch: graphs of ${graphs.rows} rows`, graphs)] : []),
        row("baseline: nodes.json + nodes.npy through one function", baseline),
        "",
        `forget, where the time goes: finding the rows ${s(phases.findMs!)}, writing nodes.json + nodes.npy ${s(phases.filesMs!)}, clusters fitted again ${s(phases.clustersMs!)}, search segments ${s(phases.searchMs!)}`,
        `vault: ${mb(forget.vaultBytes)} after the forget (nodes.json + nodes.npy + clusters.json)`,
        `forget ÷ merge of the same vault: ${(forget.ms / merge.ms).toFixed(1)}× the time, ${(forget.through / Math.max(1, merge.through)).toFixed(1)}× the bytes through the function, ${(forget.peakMb / merge.peakMb).toFixed(2)}× the peak memory`,
        `forget ÷ baseline stream of the vault: ${(forget.ms / baseline.ms).toFixed(1)}× the time, ${(forget.through / baseline.through).toFixed(2)}× the bytes`,
        "",
      ].join("\n"),
    );
  });
}

if (values.stage) await runStage();
else await main();
