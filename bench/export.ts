/**
 * `npm run bench:export [-- --rows 100000 --small 10000 --dim 1024]`: what exporting a vault costs
 * (issue 10: "large vaults stream without holding the zip in memory"). Against the local store (the
 * patched emulator in this process), each step runs in its own child process, so its peak memory is
 * that process's own maximum resident set:
 *
 * - the export of a `small`-node and of a `rows`-node vault: the zip (README.md, memories.md,
 *   nodes.json, nodes.npy, clusters.json) streamed into the store (lib/vault-export/export-vault.ts),
 *   with the version's memory tables loaded as the export function loads them;
 * - baseline, same run: a plain GET of the `rows`-node vault's nodes.json and nodes.npy, read and
 *   dropped (the least any export of those files moves through a function).
 *
 * Memory is bounded when the export's peak grows far less than the vault: what grows with the vault is
 * its memory tables (about 100 bytes a memory) and the rows' order, never the files.
 * The vaults are built first by the version writer from synthetic rows (bench/synthetic-vault.ts).
 */
import os from "node:os";
import { parseArgs } from "node:util";
import { meteredStore } from "../lib/store/metered";
import { headObject } from "../lib/store/objects";
import { objectStream } from "../lib/store/streams";
import { writeVersionZip } from "../lib/vault-export/export-vault";
import type { VaultRow } from "../lib/vaults/provision";
import { createVersionViewCache } from "../lib/vaults/version-view";
import { writeAppendedVersion } from "../lib/vaults/version-writer";
import { versionKeys } from "../lib/vaults/versions";
import { benchStore, progress, runStep, withBenchEmulator } from "./child-steps";
import { syntheticBlocks } from "./synthetic-vault";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "100000" },
    small: { type: "string", default: "10000" },
    dim: { type: "string", default: "1024" },
    // Child mode (one step): set by the parent.
    stage: { type: "string" },
    endpoint: { type: "string" },
    prefix: { type: "string" },
    count: { type: "string", default: "0" },
  },
});
const BUCKET = "cogzy-bench";
const DIM = Number(values.dim);
const EMBEDDER = { embedder: "local" as const, model: "bench-synthetic", dim: DIM };

process.env.LOG_LEVEL ??= "warn";

interface StepResult {
  ms: number;
  /** Bytes read from and written to the store by this process. */
  through: number;
  /** The zip's size (export), or the files' (baseline, build). */
  bytes: number;
  peakMb: number;
}

/** Child: one step, reporting on stdout as JSON. */
async function runStage(): Promise<void> {
  const { store, meter } = meteredStore(benchStore(values.endpoint!, BUCKET));
  const prefix = values.prefix!;
  const count = Number(values.count);
  const keys = versionKeys(prefix, 1);
  const started = performance.now();
  let bytes = 0;
  if (values.stage === "build") {
    bytes = (await writeAppendedVersion(store, { prefix, previous: 0, previousNodes: 0, added: count, embedder: EMBEDDER, blocks: syntheticBlocks(0, count, DIM) })).bytes;
  } else if (values.stage === "export") {
    // The vault row as the export function reads it from Postgres (only these fields are used).
    const vault = { id: prefix, prefix, current_version: 1, node_count: count, embedder: EMBEDDER.embedder, embedder_model: EMBEDDER.model, embedding_dim: DIM } as VaultRow;
    const view = await createVersionViewCache().get(store, vault);
    bytes = await writeVersionZip({ store }, view, { model: EMBEDDER.model, dim: DIM });
  } else {
    for (const key of [keys.nodes, keys.vectors]) for await (const chunk of await objectStream(store, key)) bytes += (chunk as Buffer).length;
  }
  const out: StepResult = { ms: performance.now() - started, through: meter.read + meter.written, bytes, peakMb: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  store.client.destroy();
}

function child(args: Record<string, string | number>): Promise<StepResult> {
  return runStep<StepResult>(import.meta.filename, { dim: DIM, ...args });
}

async function main(): Promise<void> {
  const rows = Number(values.rows);
  const small = Number(values.small);
  await withBenchEmulator("bench-export-", BUCKET, async (endpoint) => {
    progress(`building a ${small}-node and a ${rows}-node vault (version writer, synthetic rows)`);
    const builtSmall = await child({ stage: "build", endpoint, prefix: "users/small", count: small });
    const builtLarge = await child({ stage: "build", endpoint, prefix: "users/large", count: rows });
    progress(`export of the ${small}-node vault`);
    const exportSmall = await child({ stage: "export", endpoint, prefix: "users/small", count: small });
    progress(`export of the ${rows}-node vault`);
    const exportLarge = await child({ stage: "export", endpoint, prefix: "users/large", count: rows });
    progress(`baseline: a plain GET of the ${rows}-node vault's nodes.json and nodes.npy`);
    const baseline = await child({ stage: "get", endpoint, prefix: "users/large", count: rows });

    const { store } = meteredStore(benchStore(endpoint, BUCKET));
    const zipOf = async (prefix: string) => (await headObject(store, versionKeys(prefix, 1).exportZip))?.size ?? 0;
    const [zipSmall, zipLarge] = await Promise.all([zipOf("users/small"), zipOf("users/large")]);
    store.client.destroy();

    const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
    const line = (name: string, r: StepResult, size: string) =>
      `  ${name.padEnd(56)} ${(r.ms / 1000).toFixed(2).padStart(7)} s ${`${r.peakMb.toFixed(0)} MB`.padStart(9)} ${mb(r.through).padStart(10)} ${size.padStart(10)}`;
    const vaultGrowth = builtLarge.bytes - builtSmall.bytes;
    const peakGrowth = exportLarge.peakMb - exportSmall.peakMb;
    process.stdout.write(
      [
        `export bench: dim ${DIM}; ${os.availableParallelism()} cores, load average ${os.loadavg()[0]!.toFixed(1)} at the end; one child process per step`,
        `  ${"".padEnd(56)} ${"time".padStart(9)} ${"peak RSS".padStart(9)} ${"through fn".padStart(10)} ${"size".padStart(10)}`,
        line(`export, ${small}-node vault (${mb(builtSmall.bytes)} of files)`, exportSmall, `zip ${mb(zipSmall)}`),
        line(`export, ${rows}-node vault (${mb(builtLarge.bytes)} of files)`, exportLarge, `zip ${mb(zipLarge)}`),
        line(`baseline: GET nodes.json + nodes.npy, ${rows}-node vault`, baseline, mb(baseline.bytes)),
        "",
        `export time / baseline GET time (${rows} nodes): ${(exportLarge.ms / baseline.ms).toFixed(2)}×`,
        `memory bounded: the vault grew by ${mb(vaultGrowth)}, the export's peak RSS by ${peakGrowth.toFixed(0)} MB (${((peakGrowth * 2 ** 20) / vaultGrowth * 100).toFixed(1)} % of it); the largest zip is ${mb(zipLarge)}`,
        `(building the vaults, not counted: ${(builtSmall.ms / 1000).toFixed(1)} s and ${(builtLarge.ms / 1000).toFixed(1)} s)`,
        "",
      ].join("\n"),
    );
  });
}

if (values.stage) await runStage();
else await main();
