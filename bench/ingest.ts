/**
 * `npm run bench:ingest [-- --exchanges 100000]`: end-to-end local ingest of a generated ChatGPT export
 * of ~100k exchanges through the whole system — presigned multipart upload, B2-style webhook, split,
 * 200-way embedding with the offline embedder, merge — timed per phase, next to the obvious baseline
 * measured in the same run: one process that parses, dedupes, embeds, writes nodes.json and nodes.npy
 * to local disk and clusters, with no queues, no store and no database.
 *
 * Target (issue 4): ≥ 1,500 exchanges/s end to end on a 2-core machine.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { createWriteStream, existsSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
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
  process.stdout.write(`input: ${file} (${(bytes / 1024 / 1024).toFixed(0)} MB), ${cores} cores, Node ${process.version}\n\n`);

  const pipeline = await runPipeline(bytes);
  const baseline = await runBaseline();

  const rate = (exchanges: number, ms: number) => Math.round(exchanges / (ms / 1000));
  const pipelineRate = rate(pipeline.exchanges, pipeline.wallMs);
  const baselineRate = rate(baseline.exchanges, baseline.wallMs);
  process.stdout.write(
    [
      "pipeline (npm start's stack: API → presigned upload → webhook → SQS → split → embed ×200 → merge)",
      ...Object.entries(pipeline.phases).map(([phase, ms]) => `  ${phase.padEnd(28)} ${(ms / 1000).toFixed(2).padStart(7)} s`),
      `  ${"end to end".padEnd(28)} ${(pipeline.wallMs / 1000).toFixed(2).padStart(7)} s`,
      `  exchanges: ${pipeline.exchanges} found, ${pipeline.nodes} nodes created; embed invocations peak ${pipeline.peakEmbedConcurrency} at once`,
      `  throughput: ${pipelineRate} exchanges/s end to end (target ≥ 1,500)`,
      "",
      "baseline (one process: parse → dedupe → embed → nodes.json + nodes.npy on local disk → clusters)",
      ...Object.entries(baseline.phases).map(([phase, ms]) => `  ${phase.padEnd(28)} ${(ms / 1000).toFixed(2).padStart(7)} s`),
      `  ${"end to end".padEnd(28)} ${(baseline.wallMs / 1000).toFixed(2).padStart(7)} s`,
      `  throughput: ${baselineRate} exchanges/s`,
      "",
      `ratio pipeline / baseline: ${(pipelineRate / baselineRate).toFixed(2)}`,
      `target ≥ 1,500 exchanges/s end to end: ${pipelineRate >= 1500 ? "met" : "NOT met"}`,
      "",
    ].join("\n"),
  );
  if (!values.keep) await rm(file, { force: true });
}

async function runPipeline(bytes: number) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "cogzy-bench-"));
  const stack = await startStack({ dataDir, port: 0 });
  try {
    const api = createApiClient(stack.apiUrl);
    await api.signUp("bench@example.com", "a long bench passphrase");
    // The free tier's 100 MB vault would refuse a 500 MB export.
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    await db.query("UPDATE personal.user_tiers SET tier = 'premium'");
    await db.end();
    const started = Date.now();
    const target = await api.requestUpload(path.basename(file), bytes);
    const parts = await sendFile(file, bytes, target, () => undefined);
    if (target.method === "multipart") await api.completeUpload(target.upload_id, parts);
    const uploaded = Date.now();

    const phaseStarts: Record<string, number> = {};
    let progress: UploadProgress;
    for (;;) {
      progress = await api.progress(target.upload_id);
      phaseStarts[progress.phase] ??= Date.now();
      if (progress.status === "complete" || progress.status === "failed") break;
      await sleep(100);
    }
    const finished = Date.now();
    if (progress.status === "failed") throw new Error(`the upload failed: ${progress.error_message}`);
    const timings = progress.timings as Record<string, number>;
    const embedStart = phaseStarts.embedding ?? uploaded;
    const mergeStart = phaseStarts.merging ?? finished;
    return {
      wallMs: finished - started,
      exchanges: progress.exchanges_found,
      nodes: progress.nodes_created,
      peakEmbedConcurrency: stack.pollers.embed?.stats().peakInFlight ?? 0,
      phases: {
        "upload (browser → store)": uploaded - started,
        "event → split starts": Number(timings.queued_ms ?? 0) - (uploaded - started),
        "split (hash, parse, dedupe)": Number(timings.split_ms ?? 0),
        "embed (all chunks)": mergeStart - embedStart,
        "merge (version + clusters)": Number(timings.merge_ms ?? 0),
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
    return {
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
