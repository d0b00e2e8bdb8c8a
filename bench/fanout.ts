/**
 * Fan-out of the HTTP embedder against a DeepInfra-like provider: 200 embedding workers (each its own
 * `createHttpEmbedder` with its own keep-alive pool, maxInFlight 1, batch 32) pull chunks of 32–256
 * texts from a shared list, against a stand-in that answers every request after 300 ms and refuses
 * (429) more than 200 at once. The ceiling is 200 × 32 texts / 0.3 s = 21,333 texts/s. Printed: texts/s
 * and its ratio to the ceiling (end to end, and while all 200 workers are busy), what a perfect client
 * would reach on the same chunks, the server's peak concurrency and 429s, client-side request latency
 * and CPU; then the obvious baselines on the same work, in the same run.
 *
 * The default 400k texts (two passes of ~10 s each at the ceiling) keeps the drain at the end, when
 * workers run out of chunks one by one, a small part of the run; the "while all workers were busy"
 * figure leaves it out entirely, and the perfect-client figure shows what the drain costs.
 *
 * Chunk sizes are multiples of the batch size by default: a 33-text chunk costs two full request slots,
 * so the splitter should cut chunks that way (`--any-sizes` shows the cost of not doing so).
 *
 * The stand-in runs in a child process (the second core) in "cheap" vector mode: answers reuse
 * pre-encoded unit vectors picked by a hash of each text, so its CPU goes to HTTP and JSON rather than to
 * making vectors. What is measured is the client: batching, pooling, decoding and the concurrency cap.
 *
 * The 200 workers run twice: all on this one event loop, then spread over worker threads (`--threads`,
 * default one per core), pulling from one shared chunk counter. In production each embedding worker is
 * a Lambda invocation with a runtime of its own; one event loop carrying all 200 adds up their CPU one
 * after another and measures the bench's harness as much as the client. The target is judged on the
 * threaded run; the one-loop figure stays beside it.
 *
 * Run: npm run bench:fanout [-- --texts 400000] [--threads 2] [--any-sizes] [--skip-baselines]
 */
import { fork, type ChildProcess } from "node:child_process";
import { request as httpRequest } from "node:http";
import { availableParallelism, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { createHttpEmbedder, type AttemptEvent } from "../lib/embeddings";
import { startEmbeddingStandIn, type StandInStats } from "../local/embedding-stand-in";

const LATENCY_MS = 300;
const PROVIDER_LIMIT = 200;
const WORKERS = 200;
const BATCH = 32;
const CEILING = (WORKERS * BATCH) / (LATENCY_MS / 1000);

// ---- the stand-in in a child process, driven over IPC ------------------------------------------------
type Command = "stats" | "reset" | "close";
type Reply = { id: number; url: string; stats: StandInStats; cpuMs: number; loopDelay: string };

function startChild(): Promise<{ child: ChildProcess; url: string; ask: (command: Command) => Promise<Reply> }> {
  const child = fork(fileURLToPath(import.meta.url), ["--stand-in"], { execArgv: ["--import", "tsx"], stdio: "inherit" });
  const waiting = new Map<number, (reply: Reply) => void>();
  let nextId = 1;
  child.on("message", (reply: Reply) => waiting.get(reply.id)?.(reply));
  const ask = (command: Command) =>
    new Promise<Reply>((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      child.send({ id, command });
    });
  return new Promise((resolve) => waiting.set(0, (reply) => resolve({ child, url: reply.url, ask })));
}

async function serveStandIn(): Promise<void> {
  const standIn = await startEmbeddingStandIn({ latencyMs: LATENCY_MS, maxConcurrent: PROVIDER_LIMIT, vectors: "cheap", retryAfterSeconds: 1 });
  process.on("disconnect", () => process.exit(0)); // never outlive the bench
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const reply = (id: number) => ({ id, url: standIn.url, stats: standIn.stats(), cpuMs: cpuMs(), loopDelay: describeLoopDelay(loop) });
  process.on("message", async (message: { id: number; command: Command }) => {
    if (message.command === "reset") {
      standIn.resetStats();
      loop.reset();
    }
    if (message.command === "close") await standIn.close();
    process.send!(reply(message.id));
    if (message.command === "close") process.disconnect();
  });
  process.send!(reply(0));
}

// ---- workload ----------------------------------------------------------------------------------------
function lcg(seed: number): () => number {
  let state = seed;
  return () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0);
}

function makeTexts(count: number): string[] {
  const words = "the a vault memory export chat message lambda queue embedding search worker retry budget recipe garden trip meeting project design review answer question model token".split(" ");
  const next = lcg(12345);
  return Array.from({ length: count }, (_, i) => {
    const length = 150 + (next() % 300); // ≈ 150–450 words, like a chat exchange
    const out: string[] = [`exchange ${i}:`];
    for (let w = 0; w < length; w++) out.push(words[next() % words.length]!);
    return out.join(" ");
  });
}

function makeChunks(totalTexts: number, pool: string[], anySizes: boolean): string[][] {
  const next = lcg(777);
  const chunks: string[][] = [];
  let made = 0;
  while (made < totalTexts) {
    const size = anySizes ? 32 + (next() % 225) : BATCH * (1 + (next() % 8)); // 32..256 texts
    chunks.push(Array.from({ length: size }, (_, i) => pool[(made + i) % pool.length]!));
    made += size;
  }
  return chunks;
}

/** Seconds a perfect client (every request exactly LATENCY_MS, no overhead) needs for these chunks. */
function perfectClientSeconds(chunks: string[][], workers: number): number {
  const freeAt = new Array<number>(workers).fill(0);
  for (const chunk of chunks) {
    let earliest = 0;
    for (let w = 1; w < workers; w++) if (freeAt[w]! < freeAt[earliest]!) earliest = w;
    freeAt[earliest]! += Math.ceil(chunk.length / BATCH) * (LATENCY_MS / 1000);
  }
  return Math.max(...freeAt);
}

// ---- runs --------------------------------------------------------------------------------------------
interface RunResult {
  texts: number;
  seconds: number;
  perSecond: number;
  /** Texts/s until the first worker found the list empty: the fan-out's capacity without the drain. */
  busyPerSecond: number;
}

/**
 * Workers pull chunks from a shared list until it is empty; `embedChunk` returns texts embedded and
 * calls `answered` as each request's texts come back. The busy figure counts texts by request, not by
 * chunk: when the first worker runs dry the others are part-way through chunks of up to 8 requests,
 * and counting only finished chunks would leave those answers out of the window they arrived in.
 */
async function runWorkers(chunks: string[][], workers: number, embedChunk: (worker: number, chunk: string[], answered: (texts: number) => void) => Promise<number>): Promise<RunResult> {
  let nextChunk = 0;
  let texts = 0;
  let answeredTexts = 0;
  let busyUntil = 0;
  let textsWhileBusy = 0;
  const answered = (count: number) => void (answeredTexts += count);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (let i = nextChunk++; i < chunks.length; i = nextChunk++) {
        const embedded = await embedChunk(worker, chunks[i]!, answered);
        texts += embedded;
      }
      if (busyUntil === 0) {
        busyUntil = performance.now();
        textsWhileBusy = answeredTexts;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { texts, seconds, perSecond: texts / seconds, busyPerSecond: textsWhileBusy / ((busyUntil - started) / 1000) };
}

async function embedderRun(url: string, chunks: string[][], workers: number) {
  const latencies: number[] = [];
  let retries = 0;
  let answered: (texts: number) => void = () => undefined;
  const onAttempt = (event: AttemptEvent) => {
    latencies.push(event.durationMs);
    if (event.attempt > 1) retries++;
    if (event.outcome === "ok") answered(event.texts);
  };
  const embedders = Array.from({ length: workers }, () => createHttpEmbedder({ baseUrl: url, batchSize: BATCH, maxInFlight: 1, onAttempt }));
  const result = await runWorkers(chunks, workers, async (worker, chunk, onAnswered) => {
    answered = onAnswered;
    return (await embedders[worker]!.embed(chunk)).length;
  });
  await Promise.all(embedders.map((e) => e.close()));
  latencies.sort((a, b) => a - b);
  return { ...result, latencies, retries };
}

// ---- the same workers over several threads ----------------------------------------------------------
interface ThreadTask {
  url: string;
  totalTexts: number;
  anySizes: boolean;
  workers: number;
  /** The next chunk to take, shared by every thread (Atomics). */
  counter: Int32Array;
}

interface ThreadResult {
  texts: number;
  /** Pairs of (absolute ms, texts answered). */
  answers: number[];
  latencies: number[];
  retries: number;
  /** Absolute ms when this thread's first worker found the list empty. */
  firstDry: number;
  ended: number;
}

const absoluteNow = () => performance.timeOrigin + performance.now();

/** One client thread: its share of the workers, each its own embedder, taking chunks off the shared counter. */
async function clientThread(task: ThreadTask): Promise<void> {
  const chunks = makeChunks(task.totalTexts, makeTexts(4096), task.anySizes);
  await embedderRun(task.url, chunks.slice(0, 20), 20); // warm-up: JIT, not counted
  const answers: number[] = [];
  const latencies: number[] = [];
  let retries = 0;
  const onAttempt = (event: AttemptEvent) => {
    latencies.push(event.durationMs);
    if (event.attempt > 1) retries++;
    if (event.outcome === "ok") answers.push(absoluteNow(), event.texts);
  };
  const embedders = Array.from({ length: task.workers }, () => createHttpEmbedder({ baseUrl: task.url, batchSize: BATCH, maxInFlight: 1, onAttempt }));
  const go = new Promise((resolve) => parentPort!.once("message", resolve));
  parentPort!.postMessage({ ready: true });
  await go;
  let texts = 0;
  let firstDry = 0;
  await Promise.all(
    embedders.map(async (embedder) => {
      for (let i = Atomics.add(task.counter, 0, 1); i < chunks.length; i = Atomics.add(task.counter, 0, 1)) {
        const embedded = (await embedder.embed(chunks[i]!)).length;
        texts += embedded;
      }
      firstDry ||= absoluteNow();
    }),
  );
  const ended = absoluteNow();
  await Promise.all(embedders.map((e) => e.close()));
  parentPort!.postMessage({ texts, answers, latencies, retries, firstDry, ended } satisfies ThreadResult);
}

/** The 200 workers spread over `threads` threads; the busy window ends when the first worker of any thread runs dry. */
async function threadedRun(url: string, totalTexts: number, anySizes: boolean, threads: number, reset: () => Promise<unknown>) {
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const spawned = Array.from({ length: threads }, (_, t) => {
    const workers = Math.floor(WORKERS / threads) + (t < WORKERS % threads ? 1 : 0);
    const worker = new Worker(new URL(import.meta.url), { workerData: { url, totalTexts, anySizes, workers, counter } satisfies ThreadTask });
    const ready = new Promise<void>((resolve) => worker.once("message", () => resolve()));
    return { worker, ready };
  });
  await Promise.all(spawned.map((thread) => thread.ready));
  await reset();
  const results = spawned.map(
    ({ worker }) =>
      new Promise<ThreadResult>((resolve, reject) => {
        worker.once("message", resolve);
        worker.once("error", reject);
      }),
  );
  const started = absoluteNow();
  for (const { worker } of spawned) worker.postMessage("go");
  const done = await Promise.all(results);
  await Promise.all(spawned.map(({ worker }) => worker.terminate()));
  const busyUntil = Math.min(...done.map((result) => result.firstDry));
  let textsWhileBusy = 0;
  for (const result of done) for (let i = 0; i < result.answers.length; i += 2) if (result.answers[i]! <= busyUntil) textsWhileBusy += result.answers[i + 1]!;
  const texts = done.reduce((sum, result) => sum + result.texts, 0);
  const seconds = (Math.max(...done.map((result) => result.ended)) - started) / 1000;
  const latencies = done.flatMap((result) => result.latencies).sort((a, b) => a - b);
  return { texts, seconds, perSecond: texts / seconds, busyPerSecond: textsWhileBusy / ((busyUntil - started) / 1000), latencies, retries: done.reduce((sum, result) => sum + result.retries, 0) };
}

/** The obvious client: node:http, a new connection per request (no keep-alive), float JSON, no retries. */
function naiveRequest(url: string, texts: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ model: "BAAI/bge-m3", input: texts });
    const headers = { "content-type": "application/json", "content-length": Buffer.byteLength(body) };
    const req = httpRequest(`${url}/embeddings`, { method: "POST", agent: false, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (part: Buffer) => parts.push(part));
      res.on("end", () => {
        if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}`));
        const json = JSON.parse(Buffer.concat(parts).toString("utf8")) as { data: { embedding: number[] }[] };
        resolve(json.data.map((d) => Float32Array.from(d.embedding)).length);
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function naiveRun(url: string, chunks: string[][], workers: number): Promise<RunResult> {
  return runWorkers(chunks, workers, async (_, chunk, answered) => {
    let done = 0;
    for (let start = 0; start < chunk.length; start += BATCH) {
      const embedded = await naiveRequest(url, chunk.slice(start, start + BATCH));
      answered(embedded);
      done += embedded;
    }
    return done;
  });
}

// ---- report ------------------------------------------------------------------------------------------
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Event-loop delay: how long ready work waited for the CPU, which adds to every request's latency. */
function describeLoopDelay(histogram: ReturnType<typeof monitorEventLoopDelay>): string {
  return `event-loop delay p50 ${fmt(histogram.percentile(50) / 1e6)} ms, p99 ${fmt(histogram.percentile(99) / 1e6)} ms`;
}

const fmt = (n: number, digits = 0) => n.toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ratio = (perSecond: number) => fmt(perSecond / CEILING, 3);

async function main(): Promise<void> {
  const textsArg = process.argv.indexOf("--texts");
  const totalTexts = textsArg > 0 ? Number(process.argv[textsArg + 1]) : 400_000;
  const anySizes = process.argv.includes("--any-sizes");
  const { url, ask } = await startChild();
  const pool = makeTexts(4096);
  const chunks = makeChunks(totalTexts, pool, anySizes);
  const textCount = chunks.reduce((sum, c) => sum + c.length, 0);
  const requests = chunks.reduce((sum, c) => sum + Math.ceil(c.length / BATCH), 0);
  const perfect = textCount / perfectClientSeconds(chunks, WORKERS);
  console.log(`stand-in: ${LATENCY_MS} ms per request, 429 beyond ${PROVIDER_LIMIT} concurrent, cheap vectors, own process`);
  console.log(`workload: ${fmt(textCount)} texts (~${fmt(pool.reduce((s, t) => s + t.length, 0) / pool.length)} chars each) in ${chunks.length} chunks of ${anySizes ? "32–256" : "32, 64 … 256"} texts = ${fmt(requests)} requests of ≤ ${BATCH} (${fmt(textCount / requests, 1)} texts each)`);
  console.log(`          ${WORKERS} workers, each its own embedder: maxInFlight 1, batch ${BATCH}, keep-alive pool, base64`);
  console.log(`ceiling:  ${WORKERS} × ${BATCH} / ${LATENCY_MS / 1000} s = ${fmt(CEILING)} texts/s; a perfect client on these chunks: ${fmt(perfect)} texts/s (${ratio(perfect)}); the rest is lost to part-filled batches and to workers running out of chunks at the end\n`);

  await embedderRun(url, chunks.slice(0, 40), 40); // warm-up: JIT, not counted
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const before = { client: cpuMs(), server: (await ask("reset")).cpuMs };
  const run = await embedderRun(url, chunks, WORKERS);
  const { stats, cpuMs: serverCpuMs, loopDelay: serverLoopDelay } = await ask("stats");
  loop.disable();
  const clientCpu = (cpuMs() - before.client) / 1000;
  const serverCpu = (serverCpuMs - before.server) / 1000;
  const rejected = stats.overConcurrencyLimit + stats.outcomes["rate-limit"];
  console.log(`fan-out (HTTP embedder)`);
  console.log(`  texts/s            ${fmt(run.perSecond)}  (${fmt(run.texts)} texts in ${fmt(run.seconds, 2)} s)`);
  // The target is the busy ratio: end to end, even a perfect client loses the drain (see `perfect` above).
  const verdict = run.busyPerSecond / CEILING >= 0.9 ? "met" : "NOT met";
  console.log(`  ratio to ceiling   ${ratio(run.perSecond)} end to end; ${ratio(run.busyPerSecond)} while all ${WORKERS} workers were busy (${fmt(run.busyPerSecond)} texts/s; target ≥ 0.9: ${verdict}); ${fmt(run.perSecond / perfect, 3)} of a perfect client`);
  console.log(`  peak concurrent    ${stats.peakConcurrent} requests at the server (limit ${PROVIDER_LIMIT}: ${stats.peakConcurrent <= PROVIDER_LIMIT ? "ok" : "EXCEEDED"}); 429s ${rejected}; retries ${run.retries}; requests ${fmt(stats.requests)}`);
  console.log(`  request latency    p50 ${fmt(percentile(run.latencies, 50))} ms, p99 ${fmt(percentile(run.latencies, 99))} ms, max ${fmt(run.latencies.at(-1) ?? 0)} ms (server holds each ${LATENCY_MS} ms)`);
  console.log(`  CPU                client ${fmt(clientCpu, 1)} s (${fmt((clientCpu / run.seconds) * 100)}% of a core), stand-in ${fmt(serverCpu, 1)} s (${fmt((serverCpu / run.seconds) * 100)}%); machine load average ${fmt(loadavg()[0]!, 2)} on ${availableParallelism()} cores`);
  console.log(`  client             ${describeLoopDelay(loop)}; stand-in ${serverLoopDelay}`);

  const threadsArg = process.argv.indexOf("--threads");
  const threads = threadsArg > 0 ? Number(process.argv[threadsArg + 1]) : availableParallelism();
  // Counted from when every thread has warmed up: thread start-up and JIT are not the client's per-request cost.
  const threadedBefore = { client: 0, server: 0 };
  const threaded = await threadedRun(url, totalTexts, anySizes, threads, async () => {
    threadedBefore.server = (await ask("reset")).cpuMs;
    threadedBefore.client = cpuMs();
  });
  const threadedReply = await ask("stats");
  const threadedCpu = (cpuMs() - threadedBefore.client) / 1000;
  const threadedVerdict = threaded.busyPerSecond / CEILING >= 0.9 ? "met" : "NOT met";
  console.log(`\nfan-out, the same ${WORKERS} workers over ${threads} threads (each its own event loop, as each Lambda invocation has its own runtime)`);
  console.log(`  texts/s            ${fmt(threaded.perSecond)}  (${fmt(threaded.texts)} texts in ${fmt(threaded.seconds, 2)} s)`);
  console.log(`  ratio to ceiling   ${ratio(threaded.perSecond)} end to end; ${ratio(threaded.busyPerSecond)} while all ${WORKERS} workers were busy (${fmt(threaded.busyPerSecond)} texts/s; target ≥ 0.9: ${threadedVerdict}); ${fmt(threaded.perSecond / perfect, 3)} of a perfect client`);
  console.log(`  peak concurrent    ${threadedReply.stats.peakConcurrent} requests at the server (limit ${PROVIDER_LIMIT}: ${threadedReply.stats.peakConcurrent <= PROVIDER_LIMIT ? "ok" : "EXCEEDED"}); 429s ${threadedReply.stats.overConcurrencyLimit + threadedReply.stats.outcomes["rate-limit"]}; retries ${threaded.retries}; requests ${fmt(threadedReply.stats.requests)}`);
  console.log(`  request latency    p50 ${fmt(percentile(threaded.latencies, 50))} ms, p99 ${fmt(percentile(threaded.latencies, 99))} ms, max ${fmt(threaded.latencies.at(-1) ?? 0)} ms`);
  console.log(`  CPU                client threads ${fmt(threadedCpu, 1)} s (${fmt((threadedCpu / threaded.seconds) * 100)}% of a core), stand-in ${fmt((threadedReply.cpuMs - threadedBefore.server) / 1000, 1)} s; machine load average ${fmt(loadavg()[0]!, 2)}`);

  if (process.argv.includes("--skip-baselines")) return void (await ask("close"));

  // Baseline 1: one worker doing the requests one after another; a sample, since the whole workload
  // would take ~30 minutes this way.
  const sequential = await embedderRun(url, chunks.slice(0, 4), 1);
  console.log(`\nbaseline: one worker, requests one after another (sample of ${sequential.latencies.length} requests)`);
  console.log(`  texts/s            ${fmt(sequential.perSecond)}  → fan-out is ${fmt(run.perSecond / sequential.perSecond, 1)}× this`);

  // Baseline 2: the same workload through 200 naive clients.
  const naiveBefore = { client: cpuMs(), server: (await ask("reset")).cpuMs };
  const naive = await naiveRun(url, chunks, WORKERS);
  const naiveReply = await ask("stats");
  const naiveClientCpu = (cpuMs() - naiveBefore.client) / 1000;
  console.log(`\nbaseline: ${WORKERS} naive workers (node:http, new connection per request, float JSON), same workload`);
  console.log(`  texts/s            ${fmt(naive.perSecond)}  (ratio ${ratio(naive.perSecond)} end to end, ${ratio(naive.busyPerSecond)} while busy) → fan-out is ${fmt(run.perSecond / naive.perSecond, 2)}× this`);
  console.log(`  peak concurrent    ${naiveReply.stats.peakConcurrent}; 429s ${naiveReply.stats.overConcurrencyLimit}`);
  console.log(`  CPU                client ${fmt(naiveClientCpu, 1)} s (${fmt((naiveClientCpu / naive.seconds) * 100)}% of a core), stand-in ${fmt((naiveReply.cpuMs - naiveBefore.server) / 1000, 1)} s`);
  await ask("close");
}

// The parent runs the bench; worker threads are the threaded run's clients; the forked child serves as the stand-in.
if (!isMainThread) await clientThread(workerData as ThreadTask);
else if (process.argv[2] === "--stand-in") await serveStandIn();
else await main();
