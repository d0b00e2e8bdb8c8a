import type { Rng } from "./prng";
import { STOP_WORDS } from "./stop-words";

/** The text of one memory node, as `corpus/nodes.json` holds it. */
export interface NodeText {
  id: string;
  title: string | null;
  text: string;
}

/** Node text by row: an array in row order, or a lookup (e.g. over a streamed nodes.json). */
export type NodeTextSource = readonly NodeText[] | ((row: number) => NodeText);

export interface ClusterLabel {
  /** The dominant conversation title, or the top terms joined by ", ". Empty if the texts have no words. */
  label: string;
  /** The most distinctive terms, best first. */
  terms: string[];
  /** A conversation title shared by at least half of the cluster's sampled members, if any. */
  title: string | null;
}

export interface LabelOptions {
  /** Member texts read per cluster: labels come from a sample, so their cost does not grow with N. Default 100. */
  docsPerCluster?: number;
  /** Terms listed per cluster. Default 5. */
  terms?: number;
  /** Terms in a label made of terms. Default 3. */
  labelTerms?: number;
  /** Characters of each text tokenised (titles are read whole): a question and the start of its answer. Default 1000. */
  maxTextChars?: number;
}

/** Conversation titles chat apps give by default; they say nothing about the topic. */
const GENERIC_TITLES = new Set(["", "new chat", "new conversation", "untitled", "untitled conversation", "chat"]);

export function nodeTextAt(source: NodeTextSource): (row: number) => NodeText {
  if (typeof source === "function") return source;
  return (row) => {
    const node = source[row];
    if (!node) throw new RangeError(`no node text for row ${row} (have ${source.length})`);
    return node;
  };
}

/**
 * Labels clusters by their most distinctive words. Each term scores p_c · ln(p_c / p), where p_c is the
 * share of the cluster's sampled texts containing it and p the (size-weighted) share across all clusters:
 * the term's contribution to the KL divergence of the cluster from the vault, which favours words that
 * are both common in the cluster and rarer elsewhere. A conversation title carried by half the members
 * labels the cluster instead, since a person recognises their own titles faster than keywords.
 */
export function labelClusters(members: readonly number[][], nodeAt: (row: number) => NodeText, rng: Rng, options: LabelOptions = {}): ClusterLabel[] {
  const docsPerCluster = options.docsPerCluster ?? 100;
  const maxTextChars = options.maxTextChars ?? 1000;
  const totalRows = members.reduce((n, rows) => n + rows.length, 0);
  const perCluster = members.map((rows) => {
    const sample = sampleRows(rows, docsPerCluster, rng);
    // term → documents containing it, and the last document that counted it (one Map lookup per word).
    const counts = new Map<string, { docs: number; last: number }>();
    const titles = new Map<string, { text: string; count: number }>();
    sample.forEach((row, doc) => {
      const node = nodeAt(row);
      forEachWord(node, maxTextChars, (word) => {
        const entry = counts.get(word);
        if (!entry) counts.set(word, { docs: 1, last: doc });
        else if (entry.last !== doc) {
          entry.docs++;
          entry.last = doc;
        }
      });
      countTitle(titles, node.title);
    });
    const df = new Map<string, number>();
    for (const [term, entry] of counts) df.set(term, entry.docs);
    return { size: rows.length, sampled: sample.length, df, titles };
  });
  const corpusDf = new Map<string, number>();
  for (const { size, sampled, df } of perCluster) {
    for (const [term, count] of df) corpusDf.set(term, (corpusDf.get(term) ?? 0) + (count * size) / sampled);
  }
  const labelTerms = options.labelTerms ?? 3;
  const ranked = perCluster.map(({ sampled, df, titles }) => ({
    // More words than listed, for a label that has to differ from another cluster's.
    candidates: topTerms(df, sampled, corpusDf, totalRows, Math.max(options.terms ?? 5, LABEL_CANDIDATES)),
    title: dominantTitle(titles, sampled),
  }));
  const labels = distinctLabels(ranked, members, labelTerms);
  return ranked.map(({ candidates, title }, index) => ({ label: labels[index]!, terms: candidates.slice(0, options.terms ?? 5), title }));
}

/** Words ranked per cluster when labels are chosen (see {@link distinctLabels}). */
const LABEL_CANDIDATES = 12;

/**
 * Each cluster's label: its dominant title, else its top `labelTerms` words. Clusters of one vault
 * often share their most distinctive words (several topics about one codebase), and a screen of
 * topics all called "build, kernel, module" tells a person nothing. So clusters are labelled largest
 * first, and one whose label is already taken leads instead with its best words no label so far used
 * ("rust, build, kernel"); a title already taken gets its cluster's best word not in the title
 * ("Sourdough troubleshooting: feeding"). When every word of a cluster is in some label already, its
 * best words that make a label not yet taken do. A cluster with no such words keeps the shared label.
 */
function distinctLabels(ranked: readonly { candidates: string[]; title: string | null }[], members: readonly number[][], labelTerms: number): string[] {
  const labels: string[] = new Array(ranked.length).fill("");
  const taken = new Set<string>();
  const usedTerms = new Set<string>();
  const bySize = ranked.map((_, index) => index).sort((a, b) => members[b]!.length - members[a]!.length || a - b);
  for (const index of bySize) {
    const { candidates, title } = ranked[index]!;
    let label = title ?? candidates.slice(0, labelTerms).join(", ");
    if (label !== "" && taken.has(labelKey(label, title))) {
      if (title) {
        const own = candidates.find((term) => !title.toLowerCase().includes(term) && !taken.has(labelKey(`${title}: ${term}`, title)));
        if (own) label = `${title}: ${own}`;
      } else {
        const fresh = candidates.filter((term) => !usedTerms.has(term));
        if (fresh.length > 0) label = [...fresh, ...candidates.filter((term) => usedTerms.has(term))].slice(0, labelTerms).join(", ");
        else label = untakenCombination(candidates, labelTerms, taken) ?? label;
      }
    }
    if (!title) for (const term of label.split(", ")) usedTerms.add(term);
    taken.add(labelKey(label, title));
    labels[index] = label;
  }
  return labels;
}

/**
 * The first `size` of `candidates` (best first) whose label is not taken, trying combinations in rank
 * order (the first two and the fourth before the first, third and fourth), or undefined.
 */
function untakenCombination(candidates: readonly string[], size: number, taken: ReadonlySet<string>): string | undefined {
  const picked: string[] = [];
  const search = (from: number): string | undefined => {
    if (picked.length === size) {
      const label = picked.join(", ");
      return taken.has(labelKey(label, null)) ? undefined : label;
    }
    for (let index = from; index <= candidates.length - (size - picked.length); index++) {
      picked.push(candidates[index]!);
      const found = search(index + 1);
      picked.pop();
      if (found) return found;
    }
    return undefined;
  };
  return search(0);
}

/** What makes two labels the same: a title's words as written, a list's words in any order. */
function labelKey(label: string, title: string | null): string {
  return title ? label.toLowerCase() : label.split(", ").sort().join(", ");
}

/** The distinct non-stop-words of a node's title and (the start of) its text, lower-cased. */
export function documentTerms(node: NodeText, maxTextChars: number): Set<string> {
  const out = new Set<string>();
  forEachWord(node, maxTextChars, (word) => out.add(word));
  return out;
}

/** Calls `visit` for each non-stop-word (3–30 letters, lower-cased) of the title and text start. */
function forEachWord(node: NodeText, maxTextChars: number, visit: (word: string) => void): void {
  const title = node.title && !GENERIC_TITLES.has(normalizeTitle(node.title).toLowerCase()) ? node.title : "";
  const text = `${title}\n${textStart(node.text, maxTextChars)}`.toLowerCase();
  // A hand-rolled scan: a Unicode-property regex with matchAll costs ~10× more on chat-sized texts.
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 32;
    if (isLetter(c)) {
      if (start < 0) start = i;
    } else if (start >= 0 && !(c >= 48 && c <= 57)) {
      const length = i - start;
      if (length >= 3 && length <= 30) {
        const word = text.slice(start, i);
        if (!STOP_WORDS.has(word)) visit(word);
      }
      start = -1;
    }
  }
}

/** The first `maxChars` of `text`, without the word the cut falls in ("whe" of "where" is no word). */
export function textStart(text: string, maxChars: number): string {
  if (text.length <= maxChars || !isLetter(text.charCodeAt(maxChars))) return text.slice(0, maxChars);
  let end = maxChars;
  while (end > 0 && isLetter(text.charCodeAt(end - 1))) end--;
  // One word longer than the cut (no label takes words over 30 letters anyway) is kept as cut.
  return text.slice(0, end > 0 ? end : maxChars);
}

/**
 * Letters for tokenising: ASCII letters, and every code unit from U+00C0 up except the × and ÷ signs,
 * punctuation and symbol blocks (U+2000–U+2BFF, U+3000–U+303F, full-width ASCII punctuation) and
 * surrogates (emoji). Loose, but labels only need words to come out whole; digits continue a word.
 */
function isLetter(c: number): boolean {
  if (c < 0x80) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
  if (c < 0xc0 || c === 0xd7 || c === 0xf7) return false;
  if (c >= 0x2000 && c <= 0x2bff) return false;
  if (c >= 0x3000 && c <= 0x303f) return false;
  if (c >= 0xd800 && c <= 0xdfff) return false;
  return !(c >= 0xff00 && c <= 0xff20);
}

function topTerms(df: Map<string, number>, sampled: number, corpusDf: Map<string, number>, totalRows: number, count: number): string[] {
  // A word in one sampled text is an accident; ask for a few percent of the sample, at least two texts.
  const minDocs = sampled < 2 ? 1 : Math.max(2, Math.ceil(0.03 * sampled));
  const scored: { term: string; score: number; share: number }[] = [];
  for (const [term, docs] of df) {
    if (docs < minDocs) continue;
    const share = docs / sampled;
    const overall = corpusDf.get(term)! / totalRows;
    scored.push({ term, score: share * Math.log(share / overall), share });
  }
  // Only words over-represented in the cluster describe it; with none (a single cluster, where every
  // score is 0) the most frequent words do. Ties go to frequency, then to the word itself.
  const distinctive = scored.filter((s) => s.score > 1e-9);
  const pool = distinctive.length > 0 ? distinctive : scored;
  pool.sort((a, b) => b.score - a.score || b.share - a.share || (a.term < b.term ? -1 : 1));
  return pool.slice(0, count).map((s) => s.term);
}

function countTitle(titles: Map<string, { text: string; count: number }>, title: string | null): void {
  const text = normalizeTitle(title ?? "");
  const key = text.toLowerCase();
  if (GENERIC_TITLES.has(key)) return;
  const entry = titles.get(key);
  if (entry) entry.count++;
  else titles.set(key, { text: text.length > 80 ? `${text.slice(0, 79)}…` : text, count: 1 });
}

function normalizeTitle(title: string): string {
  return title.replace(/\s+/g, " ").trim();
}

function dominantTitle(titles: Map<string, { text: string; count: number }>, sampled: number): string | null {
  let best: { text: string; count: number } | undefined;
  for (const entry of titles.values()) if (!best || entry.count > best.count) best = entry;
  return best && best.count * 2 >= sampled ? best.text : null;
}

/** Up to `limit` rows drawn without replacement (a partial Fisher–Yates shuffle), in row order. */
function sampleRows(rows: readonly number[], limit: number, rng: Rng): number[] {
  if (rows.length <= limit) return [...rows];
  const pool = [...rows];
  for (let i = 0; i < limit; i++) {
    const j = i + rng.int(pool.length - i);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, limit).sort((a, b) => a - b);
}
