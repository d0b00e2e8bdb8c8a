/**
 * `npm run bench:ingest [-- --exchanges 100000]`: end-to-end local ingest of a generated ChatGPT export
 * of ~100k exchanges through the whole system — presigned multipart upload, B2-style webhook, split,
 * 200-way embedding with the offline embedder, merge — timed per phase, next to the obvious baseline
 * measured in the same run: one process that parses, dedupes, embeds, writes nodes.json and nodes.npy
 * to local disk and clusters, with no queues, no store and no database.
 *
 * Then the same export again, packed in a zip, into the vault it just filled: the split reads the zip
 * through ranges and finds every exchange merged already (nothing to embed), so that case shows the zip
 * path's time and memory against a full vault. Memory is the RSS of the stack's processes as `npm start`
 * runs them (this one, with the API and every handler, plus the S3 + SQS emulator's child process;
 * PostgreSQL is not counted), sampled every 200 ms and attributed to the phase the upload was in; "at
 * start" is the RSS when the phase began, so the growth is the phase's own.
 *
 * Targets (issue 12): ≥ 3,000 exchanges/s end to end on a 2-core machine, ≥ 0.6 of the baseline.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { createReadStream, createWriteStream, existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import os, { loadavg } from "node:os";
import path from "node:path";
import { once } from "node:events";
import { parseArgs } from "node:util";
import pg from "pg";
import { createApiClient, type UploadProgress } from "../cli/api-client";
import { sendFile } from "../cli/send-file";
import { createLocalEmbedder } from "../lib/embeddings";
import { fileByteSource, readExport, type ExportRecord } from "../lib/exports";
import { contentHash, embeddingText, toVaultNode, labelText } from "../lib/ingest/vault-nodes";
import { computeClusters } from "../lib/vectors/clusters";
import { npyChunks } from "../lib/vectors/npy";
import { startStack } from "../local/stack";
import { ZipStreamWriter } from "./export-zip-stream";
import { generateChatGptExport } from "./generate-export";

const EXCHANGES_PER_MB = 200; // measured on the generator's output (4,039 exchanges in 20 MB)

const { values } = parseArgs({ options: { exchanges: { type: "string", default: "100000" }, keep: { type: "boolean", default: false } } });
const wanted = Number(values.exchanges);
const file = path.resolve(import.meta.dirname, "out", `ingest-${wanted}.json`);

process.env.LOG_LEVEL ??= "warn";

async function main() {
  if (!existsSync(file)) {
    process.stderr.write(`generating ${file} (~${Math.round(wanted / EXCHANGES_PER_MB)} MB)…\n`);
    await generateChatGptExport(file, Math.round((wanted / EXCHANGES_PER_MB) * 1024 * 1024), 11);
  }
  const bytes = (await stat(file)).size;
  const cores = os.availableParallelism();
  process.stdout.write(`input: ${file} (${(bytes / 1024 / 1024).toFixed(0)} MB), ${cores} cores, Node ${process.version}\n`);
  process.stdout.write(`malloc: ${process.env.GLIBC_TUNABLES ? `GLIBC_TUNABLES=${process.env.GLIBC_TUNABLES}` : "glibc's defaults (GLIBC_TUNABLES empty or unset)"}\n\n`);

  const zipFile = `${file}.zip`;
  if (!existsSync(zipFile)) {
    const zip = new ZipStreamWriter(zipFile);
    await zip.addEntry("conversations.json", createReadStream(file, { highWaterMark: 1 << 20 }));
    await zip.close();
  }
  const loadBefore = loadavg()[0]!;
  const pipeline = await runPipeline(bytes, zipFile);
  const baseline = await runBaseline();
  const loadAfter = loadavg()[0]!;

  const rate = (exchanges: number, ms: number) => Math.round(exchanges / (ms / 1000));
  const pipelineRate = rate(pipeline.exchanges, pipeline.wallMs);
  const baselineRate = rate(baseline.exchanges, baseline.wallMs);
  const ratio = pipelineRate / baselineRate;
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2).padStart(7)} s`;
  const mb = (rss: number) => `${Math.round(rss / 1024 / 1024)} MB`.padStart(8);
  const phaseLines = (phases: Record<string, number>) => Object.entries(phases).map(([phase, ms]) => `  ${phase.padEnd(34)} ${seconds(ms)}`);
  const memoryLines = (memory: Record<string, PhaseSample>) =>
    Object.entries(memory).map(([phase, { start, peak }]) => `  ${phase.padEnd(34)} peak ${mb(peak)}, at start ${mb(start)} (+${Math.round((peak - start) / 1024 / 1024)} MB)`);
  const share = (cpuMs: number, wallMs: number) => `${Math.round((cpuMs / Math.max(wallMs, 1)) * 100)}%`.padStart(5);
  const cpuLines = (memory: Record<string, PhaseSample>) =>
    Object.entries(memory).map(
      ([phase, { wallMs, cpuMs }]) =>
        `  ${phase.padEnd(34)} stack process ${share(cpuMs[0]!, wallMs)} (API thread ${share(cpuMs[1]!, wallMs).trim()}, handler and other threads ${share(cpuMs[0]! - cpuMs[1]!, wallMs).trim()})${cpuMs.slice(2).map((ms) => `, emulator ${share(ms, wallMs)}`).join("")} of a core`,
    );
  const thousands = (count: number) => `${Math.round(count / 1000)}k`.padStart(5);
  const faultLines = (memory: Record<string, PhaseSample>) =>
    Object.entries(memory).map(([phase, { faults }]) => `  ${phase.padEnd(34)} stack process ${thousands(faults[0]!)}${faults.slice(1).map((count) => `, emulator ${thousands(count)}`).join("")}`);
  const accounted = Object.values(pipeline.phases).reduce((sum, ms) => sum + ms, 0);
  process.stdout.write(
    [
      `load average ${loadBefore.toFixed(1)} at the start, ${loadAfter.toFixed(1)} at the end (${cores} cores)`,
      "",
      "pipeline (npm start's stack: API → presigned upload → webhook → SQS → split → embed ×200 → merge)",
      `  (the clock starts once the functions' threads have loaded: ${seconds(pipeline.loadWaitMs).trim()} after sign-up)`,
      ...phaseLines(pipeline.phases),
      `    of the merge: nodes.json + nodes.npy written ${seconds(pipeline.mergeParts.files).trim()} after it began; clusters ${seconds(pipeline.mergeParts.clusters).trim()} and search segment ${seconds(pipeline.mergeParts.search).trim()} from the last row on, alongside the store completing the files`,
      `    of the split: its first chunk was embedded ${seconds(pipeline.firstChunkMs).trim()} after it began (the embed workers wait for it, and one core idles)`,
      `    nodes.json + nodes.npy: ${Math.round(pipeline.mergeParts.copiedBytes / 1024 / 1024)} MB copied by the store from the chunks' files, ${Math.round(pipeline.mergeParts.throughBytes / 1024 / 1024)} MB sent or read by the merge`,
      `  ${"rest (queue hops, polling)".padEnd(34)} ${seconds(pipeline.wallMs - accounted)}`,
      `    of the rest: the merge's plan (what the upload holds and deferred) ${seconds(pipeline.mergeParts.plan).trim()}; the version switch's transaction, queue hops and this bench's polling (every 100 ms once the split has ended) the remainder`,
      `  ${"end to end".padEnd(34)} ${seconds(pipeline.wallMs)}`,
      `  exchanges: ${pipeline.exchanges} found, ${pipeline.nodes} nodes created; embed invocations peak ${pipeline.peakEmbedConcurrency} at once`,
      `  throughput: ${pipelineRate} exchanges/s end to end`,
      `  after completion (not in end to end): the merge function builds the new rows' search graph on a worker thread: ${seconds(pipeline.graphMs).trim()}`,
      "  memory of the stack (this process + the emulator's), by phase of the upload:",
      ...memoryLines(pipeline.memory),
      "  CPU by phase of the upload (100% = one core busy for the whole phase):",
      ...cpuLines(pipeline.memory),
      "  minor page faults by phase of the upload (first touches of memory pages, see the README's local stack notes):",
      ...faultLines(pipeline.memory),
      "",
      `the same export as a zip (${(pipeline.zip.bytes / 1024 / 1024).toFixed(0)} MB) into that ${pipeline.nodes}-node vault: ${pipeline.zip.exchanges} exchanges found, ${pipeline.zip.nodes} new`,
      `  split (ranged zip reads, parse, dedupe) ${seconds(pipeline.zip.splitMs).trim()}; end to end ${seconds(pipeline.zip.wallMs).trim()}`,
      ...memoryLines(pipeline.zip.memory),
      "",
      "baseline (one process: parse → dedupe → embed → nodes.json + nodes.npy on local disk → clusters)",
      ...phaseLines(baseline.phases),
      `  ${"end to end".padEnd(34)} ${seconds(baseline.wallMs)}`,
      `  throughput: ${baselineRate} exchanges/s; peak RSS ${mb(baseline.peakRss).trim()}`,
      "",
      `ratio pipeline / baseline: ${ratio.toFixed(2)} (target ≥ 0.6: ${ratio >= 0.6 ? "met" : "NOT met"})`,
      `target ≥ 3,000 exchanges/s end to end: ${pipelineRate >= 3000 ? "met" : "NOT met"}`,
      "",
    ].join("\n"),
  );
  if (!values.keep) await Promise.all([rm(file, { force: true }), rm(zipFile, { force: true })]);
}

/** Resident bytes of another process (`VmRSS`, in kB, of `/proc/<pid>/status`; 0 once it has gone). */
function rssOf(pid: number): number {
  const status = existsSync(`/proc/${pid}/status`) ? readFileSync(`/proc/${pid}/status`, "utf8") : "";
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
}

/**
 * CPU time of another process so far (`utime` + `stime` of `/proc/<pid>/stat`, in USER_HZ = 100 ticks a
 * second), or of one thread with `/proc/<pid>/task/<tid>/stat` (`task`).
 */
function cpuMsOf(pid: number, task?: number): number {
  const fields = statFields(task === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${task}/stat`);
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) * 10;
}

/** Minor page faults of another process so far (`minflt` of `/proc/<pid>/stat`): first touches of memory. */
function minorFaultsOf(pid: number): number {
  return Number(statFields(`/proc/${pid}/stat`)[7] ?? 0);
}

/** The fields of a `/proc/…/stat` file after the command name (proc(5)), none if it is gone. */
function statFields(file: string): string[] {
  const stat = existsSync(file) ? readFileSync(file, "utf8") : "";
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

interface PhaseSample {
  start: number;
  peak: number;
  wallMs: number;
  /** CPU ms in the phase: this process first, its main thread (the API's, pollers') second, then each of `otherPids`. */
  cpuMs: number[];
  /** Minor page faults in the phase: this process first, then each of `otherPids`. */
  faults: number[];
}

/**
 * RSS (this process's and `otherPids`') sampled every 200 ms and attributed to whatever `phase()` says at
 * that moment, with the CPU time each process used since the previous sample.
 */
function memoryByPhase(phase: () => string, otherPids: number[] = []) {
  const memory: Record<string, PhaseSample> = {};
  const cpuNow = () => {
    const own = process.cpuUsage();
    return [(own.user + own.system) / 1000, cpuMsOf(process.pid, process.pid), ...otherPids.map((pid) => cpuMsOf(pid))];
  };
  const faultsNow = () => [process.resourceUsage().minorPageFault, ...otherPids.map(minorFaultsOf)];
  let last = { at: Date.now(), cpu: cpuNow(), faults: faultsNow() };
  const sample = () => {
    const rss = otherPids.reduce((sum, pid) => sum + rssOf(pid), process.memoryUsage.rss());
    const entry = (memory[phase()] ??= { start: rss, peak: rss, wallMs: 0, cpuMs: last.cpu.map(() => 0), faults: last.faults.map(() => 0) });
    entry.peak = Math.max(entry.peak, rss);
    const now = { at: Date.now(), cpu: cpuNow(), faults: faultsNow() };
    entry.wallMs += now.at - last.at;
    now.cpu.forEach((ms, index) => (entry.cpuMs[index]! += ms - last.cpu[index]!));
    now.faults.forEach((count, index) => (entry.faults[index]! += count - last.faults[index]!));
    last = now;
  };
  sample();
  const timer = setInterval(sample, 200);
  return {
    memory,
    stop() {
      clearInterval(timer);
    },
  };
}

/** Uploads a file through the API as the CLI does and follows its progress to the end. */
async function importFile(api: ReturnType<typeof createApiClient>, name: string, bytes: number, otherPids: number[]) {
  let phase = "upload (browser → store)";
  const sampler = memoryByPhase(() => phase, otherPids);
  try {
    const started = Date.now();
    const target = await api.requestUpload(path.basename(name), bytes);
    const parts = await sendFile(name, bytes, target, () => undefined);
    if (target.method === "multipart") await api.completeUpload(target.upload_id, parts);
    const uploaded = Date.now();
    phase = "waiting for the split";
    const phaseStarts: Record<string, number> = {};
    let progress: UploadProgress;
    for (;;) {
      progress = await api.progress(target.upload_id);
      phaseStarts[progress.phase] ??= Date.now();
      phase = { parsing: "split", embedding: "embed", merging: "merge" }[progress.phase as string] ?? phase;
      if (progress.status === "complete" || progress.status === "failed") break;
      // As often as the CLI asks (cli/import.ts, every 500 ms) while the export is read: every 100 ms,
      // this bench's own requests took ~1 s of CPU (its API thread and PostgreSQL) from the split, which
      // has none to spare. Every 100 ms from the split's end on, so the upload's end is seen within 100 ms.
      await sleep(progress.phase === "awaiting_upload" || progress.phase === "parsing" ? 500 : 100);
    }
    const finished = Date.now();
    if (progress.status === "failed") throw new Error(`the upload failed: ${progress.error_message}`);
    return { started, uploaded, finished, phaseStarts, progress, memory: sampler.memory };
  } finally {
    sampler.stop();
  }
}

/** When the upload's first chunk was embedded, in ms from its split's start (`queued_ms` after `uploaded_at`). */
async function firstChunkEmbedded(databaseUrl: string, uploadId: string, queuedMs: number): Promise<number> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ ms: number }>(
      `SELECT extract(epoch FROM min(c.done_at) - u.uploaded_at) * 1000 AS ms
         FROM personal.upload_chunks c JOIN personal.vault_uploads u ON u.id = c.upload_id AND c.attempt = u.split_attempt
        WHERE u.id = $1 GROUP BY u.uploaded_at`,
      [uploadId],
    );
    return Number(rows[0]?.ms ?? NaN) - queuedMs;
  } finally {
    await db.end();
  }
}

async function runPipeline(bytes: number, zipFile: string) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "cogzy-bench-"));
  // HANDLER_THREADS as for `npm start` (local/start.ts): 0 runs the queue handlers on this thread.
  const stack = await startStack({ dataDir, port: 0, handlerThreads: process.env.HANDLER_THREADS ? Number(process.env.HANDLER_THREADS) : undefined });
  try {
    const api = createApiClient(stack.apiUrl);
    await api.signUp("bench@example.com", "a long bench passphrase");
    // The free tier's 100 MB vault would refuse a 500 MB export.
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    await db.query("UPDATE personal.user_tiers SET tier = 'premium'");
    await db.end();
    // The functions' threads load once per stack (a cold start each): not part of an upload's time.
    const loading = Date.now();
    await stack.loaded;
    const loadWaitMs = Date.now() - loading;
    const { started, uploaded, finished, phaseStarts, progress, memory } = await importFile(api, file, bytes, [stack.emulator.pid]);
    const timings = progress.timings as Record<string, number>;
    const firstChunkMs = await firstChunkEmbedded(stack.databaseUrl, progress.upload_id, Number(timings.queued_ms ?? 0));
    // Chunks are embedded while the split runs; what is left once it ends (none if every chunk is done by
    // then) is this phase. The split ends `queued_ms` + `split_ms` after the upload was requested (the
    // server's clock, this machine's), more precisely than the polls, which are 500 ms apart until then.
    const splitEnds = timings.split_ms === undefined ? undefined : started + Number(timings.queued_ms ?? 0) + Number(timings.split_ms);
    const embedStart = splitEnds ?? phaseStarts.embedding ?? phaseStarts.merging ?? finished;
    const mergeStart = phaseStarts.merging ?? finished;
    const peakEmbedConcurrency = stack.pollers.embed?.stats().peakInFlight ?? 0;
    // The merge's function goes on to build the new rows' search graph after the switch (the upload is
    // complete and searchable meanwhile): timed until its invocation returns.
    while ((stack.pollers.reduce?.stats().inFlight ?? 0) > 0) await sleep(100);
    const graphMs = Date.now() - finished;

    const zipBytes = (await stat(zipFile)).size;
    const zip = await importFile(api, zipFile, zipBytes, [stack.emulator.pid]);
    return {
      wallMs: finished - started,
      loadWaitMs,
      exchanges: progress.exchanges_found,
      nodes: progress.nodes_created,
      peakEmbedConcurrency,
      firstChunkMs,
      phases: {
        "upload (browser → store)": uploaded - started,
        "event → split starts": Number(timings.queued_ms ?? 0) - (uploaded - started),
        "split (read once, parse, dedupe)": Number(timings.split_ms ?? 0),
        "embed (what is left after the split)": mergeStart - embedStart,
        "merge (version + clusters)": Number(timings.merge_ms ?? 0),
      },
      mergeParts: {
        files: Number(timings.merge_files_ms ?? 0),
        clusters: Number(timings.merge_clusters_ms ?? 0),
        search: Number(timings.merge_search_ms ?? 0),
        plan: Number(timings.merge_plan_ms ?? 0),
        copiedBytes: Number(timings.merge_copied_bytes ?? 0),
        throughBytes: Number(timings.merge_through_bytes ?? 0),
      },
      memory,
      graphMs,
      zip: {
        bytes: zipBytes,
        wallMs: zip.finished - zip.started,
        splitMs: Number((zip.progress.timings as Record<string, number>).split_ms ?? 0),
        exchanges: zip.progress.exchanges_found,
        nodes: zip.progress.nodes_created,
        memory: zip.memory,
      },
    };
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function runBaseline() {
  const dir = await mkdtemp(path.join(os.tmpdir(), "cogzy-baseline-"));
  try {
    const embedder = createLocalEmbedder({ dim: 1024 });
    const sampler = memoryByPhase(() => "baseline");
    const started = Date.now();
    const records: ExportRecord[] = [];
    const seen = new Set<string>();
    const reader = readExport(await fileByteSource(file));
    for await (const record of reader) {
      const hex = contentHash(record).toString("hex");
      if (!seen.has(hex)) {
        seen.add(hex);
        records.push(record);
      }
    }
    const parsed = Date.now();
    const nodes = records.map((record) => toVaultNode(record, contentHash(record), "baseline"));
    const vectors = new Float32Array(nodes.length * embedder.dim);
    for (let at = 0; at < nodes.length; at += 256) {
      const batch = await embedder.embed(nodes.slice(at, at + 256).map(embeddingText));
      batch.forEach((vector, index) => vectors.set(vector, (at + index) * embedder.dim));
    }
    const embedded = Date.now();
    const json = createWriteStream(path.join(dir, "nodes.json"));
    json.write("[\n");
    for (let index = 0; index < nodes.length; index += 1) {
      if (!json.write(`${index ? ",\n" : ""}${JSON.stringify(nodes[index])}`)) await once(json, "drain");
    }
    json.end("\n]\n");
    await once(json, "finish");
    const npy = createWriteStream(path.join(dir, "nodes.npy"));
    for await (const block of npyChunks(nodes.length, embedder.dim, [vectors])) if (!npy.write(block)) await once(npy, "drain");
    npy.end();
    await once(npy, "finish");
    const written = Date.now();
    computeClusters(vectors, embedder.dim, nodes.map((node) => labelText(node, 300)));
    const clustered = Date.now();
    sampler.stop();
    return {
      peakRss: sampler.memory.baseline!.peak,
      wallMs: clustered - started,
      exchanges: reader.summary.exchanges,
      phases: {
        "parse + dedupe": parsed - started,
        embed: embedded - parsed,
        "write nodes.json + nodes.npy": written - embedded,
        clusters: clustered - written,
      },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
