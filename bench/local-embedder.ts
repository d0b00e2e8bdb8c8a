/**
 * Throughput of the offline embedder on exchange-sized texts (~300 words), one core.
 * Baseline in the same run: the obvious implementation (regex split, string n-grams, Map counts).
 * Run: npx tsx bench/local-embedder.ts
 */
import { createLocalEmbedder } from "../lib/embeddings/local-embedder";
import { fnv1a } from "../lib/embeddings/hashed-features";

// A Zipf-ish vocabulary: a few hundred frequent words (English function words, some accented and CJK
// words) plus thousands of rarer synthetic ones, so the feature table sees realistic numbers of distinct words.
const common = (
  "the of and to a in is it you that he was for on are with as I his they be at one have this from or had by " +
  "lambda queue vault embedding vector search chat export import conversation message assistant user model token " +
  "deploy function error retry batch worker pool request response latency throughput memory cache index cluster " +
  "Paris recipe garden holiday budget invoice meeting schedule project design review feedback question answer " +
  "naïve café résumé über straße 東京 会議 プロジェクト Москва привет"
).split(" ");
const syllables = ["ka", "lo", "mi", "ster", "tion", "pre", "con", "ver", "al", "ing", "ed", "ly", "qu", "zo", "ra", "be"];
const rare = Array.from({ length: 8000 }, (_, i) =>
  syllables[i % 16]! + syllables[(i >> 4) % 16]! + syllables[(i >> 8) % 16]! + (i % 3 === 0 ? "s" : ""),
);

function makeExchange(seed: number, words: number): string {
  let state = (seed * 2654435761) >>> 0;
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const word = state % 2 === 0 ? common[(state >>> 8) % common.length]! : rare[Math.floor(((state >>> 8) / 2 ** 24) ** 2 * rare.length)]!;
    out.push(word + (state % 17 === 0 ? "." : state % 23 === 0 ? "," : ""));
  }
  return out.join(" ");
}

function naiveVector(text: string, dim: number): Float32Array {
  const words = text.toLowerCase().split(/[^\p{L}\p{N}_]+/u).filter(Boolean);
  const counts = new Map<string, number>();
  for (let i = 0; i < words.length; i++) {
    counts.set(words[i]!, (counts.get(words[i]!) ?? 0) + 1);
    if (i > 0) counts.set(`${words[i - 1]} ${words[i]}`, (counts.get(`${words[i - 1]} ${words[i]}`) ?? 0) + 1);
  }
  const v = new Float32Array(dim);
  for (const [feature, tf] of counts) {
    const h = fnv1a(feature);
    v[(h >>> 1) % dim]! += (h & 1 ? -1 : 1) * (1 + Math.log(tf));
  }
  let s = 0;
  for (const x of v) s += x * x;
  const k = 1 / Math.sqrt(s || 1);
  for (let i = 0; i < dim; i++) v[i]! *= k;
  return v;
}

function measure(label: string, texts: string[], run: (text: string) => unknown, seconds: number): number {
  for (let i = 0; i < 2000; i++) run(texts[i % texts.length]!); // warm up the JIT
  let done = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 500; i++) run(texts[(done + i) % texts.length]!);
    done += 500;
  }
  const perSecond = done / ((performance.now() - start) / 1000);
  console.log(`${label.padEnd(28)} ${Math.round(perSecond).toLocaleString("en").padStart(9)} texts/s`);
  return perSecond;
}

const texts = Array.from({ length: 5000 }, (_, i) => makeExchange(i, 300));
const chars = texts.reduce((sum, t) => sum + t.length, 0) / texts.length;
console.log(`local-hash-v1, dim 1024, ${texts.length} distinct texts of 300 words (~${Math.round(chars)} chars)`);
const embedder = createLocalEmbedder();
const [probe] = await embedder.embed([texts[0]!]);
if (probe?.length !== 1024) throw new Error("unexpected vector length");

const { hashedFeatureVector } = await import("../lib/embeddings/hashed-features");
const fast = measure("local-hash-v1 (one core)", texts, (t) => hashedFeatureVector(t, 1024), 3);
const naive = measure("naive regex + Map baseline", texts, (t) => naiveVector(t, 1024), 3);
console.log(`ratio ${(fast / naive).toFixed(1)}× the baseline; target ≥ 20,000 texts/s per core: ${fast >= 20_000 ? "met" : "NOT met"}`);
