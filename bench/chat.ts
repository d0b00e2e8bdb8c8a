/**
 * `npm run bench:chat [-- --rows 100000 --messages 200 --model-ms 300 --store-every 5]`: what the server adds to a chat
 * message besides the model, on a vault of 100k memories × 1,024 dimensions, through the code the chat
 * function runs against the real local stack (embedded PostgreSQL, the S3 emulator, the gateway).
 *
 * - The vault: planted topics (as bench:search), written to the store as version 1 with the reducer's
 *   search indexes. Its vectors are not the query embedder's (the offline hashed-feature embedder), so the
 *   memories found mean nothing; what each step costs is the same.
 * - Each message, one after another, through the chat's own steps: the tier check (one atomic
 *   statement), the conversation's last turns, retrieval (the query embedded, hybrid search, the k
 *   memories read), the prompt, the model (a stand-in answering after a fixed delay), saving the
 *   exchange, and the usage for the answer. Everything but the model is timed.
 * - The first message starts holding the version's memory texts (lib/search/memory-texts.ts) in the
 *   background; the bench waits for that, as a warm function would have them, and prints how long it took.
 * - Baselines in the same run: the read-then-write tier check the obvious code does (SELECT, then
 *   UPDATE: two round trips, and not exact under concurrency); one bare round trip to the database
 *   (`SELECT 1` on the same pool: what each statement costs at least on this machine now); the same retrieval reading the k
 *   memories' lines of nodes.json from the store on every message (what it did before the text cache),
 *   and the sum with it; the whole message over HTTP next to a bare authenticated request
 *   (GET /api/personal/usage) on the same gateway.
 *
 * Targets (issue 9): tier check p99 ≤ 10 ms; everything but the model p50 ≤ 30 ms.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { signUp } from "../lib/accounts/accounts";
import { recentTurns, saveExchange } from "../lib/chat/history";
import { createHttpChatModel } from "../lib/chat/http-chat-model";
import { buildPrompt, HISTORY_MESSAGES, MEMORY_BUDGETS } from "../lib/chat/prompt";
import { vaultMemoryRetriever } from "../lib/chat/vault-memories";
import { getConfig } from "../lib/config";
import { getPool } from "../lib/db/pool";
import { createLocalEmbedder } from "../lib/embeddings";
import { nodesJsonLines } from "../lib/ingest/vault-files";
import { createIndexCache } from "../lib/search/index-cache";
import { createMemoryTextCache } from "../lib/search/memory-texts";
import { writeVersionIndexes } from "../lib/search/version-indexes";
import { getStore } from "../lib/store/client";
import { putStream } from "../lib/store/streams";
import { contextWindow } from "../lib/tiers/tiers";
import { reserveMessage, usageAfterMessage, utcDay } from "../lib/tiers/usage";
import { npyChunks } from "../lib/vectors/npy";
import { versionKeys } from "../lib/vaults/versions";
import { startChatStandIn } from "../local/chat-stand-in";
import { startStack } from "../local/stack";
import { plantedTopics } from "../test/vectors/fixtures/planted-topics";
import { matrixBlocks, plantedNodeLines } from "./planted-vault";

const { values } = parseArgs({
  options: { rows: { type: "string", default: "100000" }, messages: { type: "string", default: "200" }, "model-ms": { type: "string", default: "300" }, "store-every": { type: "string", default: "5" } },
});
const ROWS = Number(values.rows);
const MESSAGES = Number(values.messages);
const MODEL_MS = Number(values["model-ms"]);
/** The store-read baseline runs on every n-th message only: on a big vault each of its reads is slow. */
const STORE_EVERY = Math.max(1, Number(values["store-every"]));
const DIM = 1024;
const TARGET = { tierCheckP99Ms: 10, overheadP50Ms: 30 };

const now = () => performance.now();
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(p * values.length))]!;
const ms = (value: number) => `${value.toFixed(value < 10 ? 2 : 1)} ms`;
const progress = (text: string) => process.stderr.write(`… ${text}\n`);
function row(label: string, times: number[]) {
  process.stdout.write(`  ${label.padEnd(46)} ${ms(percentile(times, 0.5)).padStart(9)} ${ms(percentile(times, 0.99)).padStart(9)}\n`);
}

async function main() {
  process.stdout.write(`chat, server side: vault of ${ROWS} memories × ${DIM} dims, ${MESSAGES} messages one after another, model stand-in at ${MODEL_MS} ms; ${os.availableParallelism()} cores, Node ${process.version}\n\n`);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "bench-chat-"));
  process.env.LOG_LEVEL ??= "warn";
  const model = await startChatStandIn({ latencyMs: MODEL_MS });
  Object.assign(process.env, { CHAT_URL: `${model.url}/v1`, CHAT_MODEL: "stand-in" });
  const stack = await startStack({ dataDir, port: 0, consumers: false });
  try {
    const db = getPool();
    const store = getStore();
    const plans = getConfig().tiers;
    const account = await signUp({ db, store, sessionTtlDays: 1 }, { email: "bench@example.com", password: "a long bench passphrase" });
    const userId = account.userId;
    const vault = (await db.query<{ id: string; prefix: string }>("SELECT id, prefix FROM personal.vaults WHERE user_id = $1", [userId])).rows[0]!;

    progress(`generating and storing a ${ROWS}-memory vault, then the reducer's search indexes`);
    const corpus = plantedTopics({ rows: ROWS, dim: DIM, seed: 11 });
    const keys = versionKeys(vault.prefix, 1);
    await Promise.all([
      putStream(store, keys.nodes, nodesJsonLines(plantedNodeLines(corpus, ROWS)), "application/json"),
      putStream(store, keys.vectors, npyChunks(ROWS, DIM, matrixBlocks(corpus.vectors, ROWS, DIM)), "application/octet-stream"),
    ]);
    const embedder = createLocalEmbedder({ dim: DIM });
    await writeVersionIndexes(store, keys, { embedder: "local", model: embedder.model, dim: DIM });
    await db.query(
      `UPDATE personal.vaults SET current_version = 1, node_count = $2, embedder = 'local', embedder_model = $3, embedding_dim = $4 WHERE id = $1`,
      [vault.id, ROWS, embedder.model, DIM],
    );
    // Premium, so 200 messages are not refused: the statement that takes a slot is the same for both plans.
    await db.query("UPDATE personal.user_tiers SET tier = 'premium' WHERE user_id = $1", [userId]);

    const cache = createIndexCache({ maxBytes: 4 * 1024 ** 3 });
    const texts = createMemoryTextCache({ maxBytes: getConfig().search.textCacheBytes });
    const retrieve = vaultMemoryRetriever({ db, store, embedder, cache, texts });
    // The baseline: the same retrieval reading the k memories' lines of nodes.json from the store.
    const retrieveFromStore = vaultMemoryRetriever({ db, store, embedder, cache });
    const chatModel = createHttpChatModel({ baseUrl: `${model.url}/v1`, model: "stand-in" });
    const questions = Array.from({ length: MESSAGES + 1 }, (_, i) => corpus.nodes[(i * 7919) % ROWS]!.text.split(" ").filter((w) => w.length > 4).slice(0, 6).join(" "));

    progress("first message (loads the vault's indexes: the cold start of a chat function on this version)");
    let started = now();
    await retrieve(userId, questions[0]!, 8);
    const coldMs = now() - started;
    // The first message started loading the version's texts in the background; a warm function has them.
    started = now();
    const loaded = await cache.get(store, { vaultId: vault.id, prefix: vault.prefix, version: 1, embedder: { embedder: "local", model: embedder.model, dim: DIM } });
    const held = await texts.hold(store, { vaultId: vault.id, version: 1, nodesKey: keys.nodes }, loaded.memories);
    const textsMs = now() - started;

    progress("messages, one after another");
    const times = { tier: [] as number[], history: [] as number[], retrieval: [] as number[], retrievalFromStore: [] as number[], overheadFromStore: [] as number[], prompt: [] as number[], save: [] as number[], usage: [] as number[], overhead: [] as number[], model: [] as number[] };
    let conversationId: string = crypto.randomUUID();
    for (let i = 1; i <= MESSAGES; i++) {
      // A conversation of five messages, then a new one, so the history read has turns to read.
      if (i % 5 === 1) conversationId = crypto.randomUUID();
      const question = questions[i]!;
      const at = new Date();
      let t = now();
      const reservation = await reserveMessage({ db, plans }, userId, at);
      times.tier.push(now() - t);
      t = now();
      const history = i % 5 === 1 ? [] : await recentTurns(db, userId, conversationId, HISTORY_MESSAGES);
      times.history.push(now() - t);
      t = now();
      const window = contextWindow(plans, reservation.tier);
      const memories = await retrieve(userId, question, MEMORY_BUDGETS[window].memories);
      times.retrieval.push(now() - t);
      let fromStore: number | undefined;
      if (i % STORE_EVERY === 0) {
        t = now();
        await retrieveFromStore(userId, question, MEMORY_BUDGETS[window].memories);
        fromStore = now() - t;
        times.retrievalFromStore.push(fromStore);
      }
      t = now();
      const prompt = buildPrompt({ question, memories, history, window, now: at });
      times.prompt.push(now() - t);
      t = now();
      const completion = await chatModel.reply({ messages: prompt.messages, memories: prompt.memories, question });
      times.model.push(now() - t);
      t = now();
      await saveExchange(db, userId, { conversationId, question, reply: completion.reply, memoriesUsed: prompt.memoriesUsed, model: completion.model });
      times.save.push(now() - t);
      t = now();
      await usageAfterMessage({ db, plans }, reservation, at);
      times.usage.push(now() - t);
      const i0 = times.tier.length - 1;
      const rest = times.tier[i0]! + times.history[i0]! + times.prompt[i0]! + times.save[i0]! + times.usage[i0]!;
      times.overhead.push(rest + times.retrieval[i0]!);
      if (fromStore !== undefined) times.overheadFromStore.push(rest + fromStore);
    }

    progress("baseline: the read-then-write tier check");
    const readThenWrite: number[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      const t = now();
      const { rows } = await db.query<{ messages_today: number; day: string }>("SELECT messages_today, messages_reset_at::text AS day FROM personal.user_tiers WHERE user_id = $1", [userId]);
      const today = utcDay(new Date());
      const used = rows[0]!.day === today ? rows[0]!.messages_today : 0;
      await db.query("UPDATE personal.user_tiers SET messages_today = $2, messages_reset_at = $3::date WHERE user_id = $1", [userId, used + 1, today]);
      readThenWrite.push(now() - t);
    }

    progress("baseline: one round trip to the database");
    const roundTrip: number[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      const t = now();
      await db.query("SELECT 1");
      roundTrip.push(now() - t);
    }

    progress("over HTTP: the whole message, and a bare authenticated request");
    const http: number[] = [];
    const bare: number[] = [];
    const headers = { authorization: `Bearer ${account.session.token}`, "content-type": "application/json" };
    for (let i = 1; i <= Math.min(MESSAGES, 100); i++) {
      let t = now();
      const answer = await fetch(`${stack.apiUrl}/api/personal/chat`, { method: "POST", headers, body: JSON.stringify({ message: questions[i] }) });
      await answer.text();
      http.push(now() - t - MODEL_MS);
      t = now();
      await (await fetch(`${stack.apiUrl}/api/personal/usage`, { headers })).text();
      bare.push(now() - t);
    }
    await chatModel.close();

    process.stdout.write("per message, warm                                     p50       p99\n");
    row("baseline: one round trip (SELECT 1), same pool", roundTrip);
    row("tier check: one atomic statement", times.tier);
    row("  baseline: read, then write (2 round trips)", readThenWrite);
    row("history: the conversation's last turns", times.history);
    row("retrieval: embed query, hybrid search, read k", times.retrieval);
    row(`  baseline: the k read from the store (1 in ${STORE_EVERY})`, times.retrievalFromStore);
    row("prompt", times.prompt);
    row("saving the exchange (one statement)", times.save);
    row("usage for the answer (from the tier check)", times.usage);
    row("everything but the model (sum of the above)", times.overhead);
    row(`  baseline: with the k read from the store (1 in ${STORE_EVERY})`, times.overheadFromStore);
    row(`model (stand-in at ${MODEL_MS} ms, not counted)`, times.model);
    process.stdout.write("\nover HTTP through the local gateway\n");
    row(`POST /chat minus the model's ${MODEL_MS} ms`, http);
    row("  baseline: GET /usage (session check + 1 query)", bare);
    process.stdout.write(`\nfirst message's retrieval (loads the version's indexes): ${ms(coldMs)}\n`);
    process.stdout.write(`memory texts held in the background ${held ? `after ${ms(textsMs)} more (${(texts.bytes / 1024 ** 2).toFixed(1)} MB)` : "NOT (larger than SEARCH_TEXT_CACHE_MB)"}\n\n`);
    const tierP99 = percentile(times.tier, 0.99);
    const overheadP50 = percentile(times.overhead, 0.5);
    process.stdout.write(`target tier check p99 ≤ ${TARGET.tierCheckP99Ms} ms: ${tierP99 <= TARGET.tierCheckP99Ms ? "MET" : "NOT MET"} (${ms(tierP99)})\n`);
    process.stdout.write(`target everything but the model p50 ≤ ${TARGET.overheadP50Ms} ms: ${overheadP50 <= TARGET.overheadP50Ms ? "MET" : "NOT MET"} (${ms(overheadP50)})\n`);
  } finally {
    await stack.stop();
    await model.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
