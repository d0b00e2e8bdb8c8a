import { decodeSections, encodeSections, view } from "./binary-sections";
import { forEachTermSpan } from "./tokens";
import { topK } from "./top-k";

/**
 * Okapi BM25 over every memory of a vault version (human + assistant + conversation title), built by
 * the reducer at merge time and stored as one file beside the version's vectors.
 *
 * Why not a library: MiniSearch's serialised index of a 100k-memory vault was several times larger than
 * this one and took longer to load than the 2 s cold-start budget allows (figures in the README). Here
 * postings are delta + varint coded per term and only the query's terms are decoded at search time;
 * loading is reading the term dictionary.
 *
 * Scoring is the classic BM25 (Robertson & Zaragoza, "The Probabilistic Relevance Framework: BM25 and
 * Beyond", 2009) with k1 = 1.2, b = 0.75 and the non-negative idf ln(1 + (N − df + 0.5) / (df + 0.5)),
 * as Lucene computes it.
 *
 * A version's memories are split into segments (each merge adds one, see lib/search/segments.ts), one
 * file each; {@link combineLexical} scores them together with the version's own N, average length and
 * document frequencies, so a segmented version ranks exactly as one file over all its memories would.
 */
const MAGIC = "CZBM25\u0001\n";
const K1 = 1.2;
const B = 0.75;
/** tf is stored up to this; a word repeated more often in one memory adds nothing further to its score. */
const MAX_TF = 255;
/** Below this many memories every query term is scored (it is cheap); above, see `scoredTerms`. */
const COMMON_MIN_DOCS = 20_000;
const COMMON_SHARE = 0.1;

/** MurmurHash3's finaliser (https://github.com/aappleby/smhasher): FNV's low bits, which choose the slot, are weak. */
function spread(hash: number): number {
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  return hash ^ (hash >>> 16);
}

/** A copy of `array` with room for `size` elements. */
function grown<T extends Int32Array | Uint32Array | Uint8Array>(array: T, size: number): T {
  const bigger = new (array.constructor as new (size: number) => T)(size);
  bigger.set(array);
  return bigger;
}

interface LexicalHeader {
  format: "bm25";
  docs: number;
  totalLength: number;
  terms: number;
}

/** Collects memories row by row (rows must arrive as 0, 1, 2, …), then encodes the index. */
export function createLexicalBuilder() {
  // Terms are numbered as first seen and found by the hash the scanner computes (open addressing,
  // linear probing), compared in place with the text: a term seen before costs no string at all. Its
  // count in the memory being added is kept in `tf` by that number (reset for the terms `touched` once
  // the memory is done). Everything per term or per posting is in typed arrays, not a JS array per
  // term: postings are appended as memories end (term number, row, tf: so in row order for each term)
  // and grouped by term once, in `encode` (a counting sort, `documents` being each term's count).
  const termTexts: string[] = [];
  let termHashes = new Int32Array(1 << 12);
  let documents = new Uint32Array(1 << 12);
  let tf = new Uint32Array(1 << 12);
  let slots = new Int32Array(1 << 13); // term number + 1; 0 is an empty slot
  let touched = new Int32Array(1 << 10);
  let touchedCount = 0;
  let postingTerms = new Int32Array(1 << 14);
  let postingRows = new Int32Array(1 << 14);
  let postingTfs = new Uint8Array(1 << 14);
  let postingCount = 0;
  const lengths: number[] = [];
  let totalLength = 0;
  let text = "";
  let length = 0;

  const place = (id: number) => {
    const mask = slots.length - 1;
    let slot = spread(termHashes[id]!) & mask;
    while (slots[slot] !== 0) slot = (slot + 1) & mask;
    slots[slot] = id + 1;
  };
  const termAt = (start: number, end: number, hash: number): number => {
    const mask = slots.length - 1;
    for (let slot = spread(hash) & mask; ; slot = (slot + 1) & mask) {
      const entry = slots[slot]!;
      if (entry === 0) break;
      const id = entry - 1;
      if (termHashes[id] === hash) {
        const known = termTexts[id]!;
        if (known.length === end - start && text.startsWith(known, start)) return id;
      }
    }
    const id = termTexts.length;
    termTexts.push(text.slice(start, end));
    if (id === tf.length) {
      termHashes = grown(termHashes, id * 2);
      documents = grown(documents, id * 2);
      tf = grown(tf, id * 2);
    }
    termHashes[id] = hash;
    // At most half full, so probes stay short.
    if ((id + 1) * 2 > slots.length) {
      slots = new Int32Array(slots.length * 2);
      for (let known = 0; known <= id; known++) place(known);
    } else place(id);
    return id;
  };
  const visit = (start: number, end: number, hash: number) => {
    const id = termAt(start, end, hash);
    if (tf[id]!++ === 0) {
      if (touchedCount === touched.length) touched = grown(touched, touchedCount * 2);
      touched[touchedCount++] = id;
    }
    length++;
  };

  // A row's text comes in lines (see addLowerCased below): a line break ends every term.
  const addLowerCased = (row: number, lines: readonly string[]): void => {
    if (row !== lengths.length) throw new Error(`lexical index: row ${row} added out of order (expected ${lengths.length})`);
    length = 0;
    for (const line of lines) {
      text = line;
      forEachTermSpan(text, visit);
    }
    text = "";
    if (postingCount + touchedCount > postingTerms.length) {
      const size = Math.max(postingTerms.length * 2, postingCount + touchedCount);
      postingTerms = grown(postingTerms, size);
      postingRows = grown(postingRows, size);
      postingTfs = grown(postingTfs, size);
    }
    for (let i = 0; i < touchedCount; i++) {
      const id = touched[i]!;
      postingTerms[postingCount] = id;
      postingRows[postingCount] = row;
      postingTfs[postingCount] = Math.min(tf[id]!, MAX_TF);
      postingCount++;
      documents[id]! += 1;
      tf[id] = 0;
    }
    touchedCount = 0;
    lengths.push(length);
    totalLength += length;
  };

  return {
    add(row: number, memoryText: string): void {
      addLowerCased(row, [memoryText.toLowerCase()]);
    },

    /**
     * {@link add} of the text `lines.join("\n")`, each line given lower-cased (`String.prototype.toLowerCase`,
     * which does not look across a line break: lower-casing the lines is lower-casing the text). No term
     * spans a line break, so the lines are read one by one, never joined.
     */
    addLowerCased,

    /** The index file's bytes. */
    encode(): Buffer {
      const terms = termTexts.length;
      // Sorted as `Array.prototype.sort` sorts strings (by UTF-16 code units); terms are distinct.
      const order = termTexts.map((_, id) => id).sort((a, b) => (termTexts[a]! < termTexts[b]! ? -1 : 1));
      const dictionary = order.map((id) => termTexts[id]!);
      // Each term's postings together, still in row order: where each term's run starts, then each posting placed.
      const starts = new Uint32Array(terms + 1);
      for (let id = 0; id < terms; id++) starts[id + 1] = starts[id]! + documents[id]!;
      const next = starts.slice(0, terms);
      const byTerm = new Int32Array(postingCount);
      for (let at = 0; at < postingCount; at++) byTerm[next[postingTerms[at]!]!++] = at;
      const offsets = new Uint32Array(terms + 1);
      const counts = new Uint32Array(terms);
      const coded = new VarintWriter();
      for (let index = 0; index < terms; index++) {
        const id = order[index]!;
        let previous = 0;
        for (let at = starts[id]!; at < starts[id + 1]!; at++) {
          const posting = byTerm[at]!;
          const row = postingRows[posting]!;
          coded.write(row - previous);
          coded.write(postingTfs[posting]!);
          previous = row;
        }
        counts[index] = documents[id]!;
        offsets[index + 1] = coded.length;
      }
      const header: LexicalHeader = { format: "bm25", docs: lengths.length, totalLength, terms: dictionary.length };
      return encodeSections(MAGIC, header, {
        lengths: Uint32Array.from(lengths),
        offsets,
        counts,
        postings: coded.bytes(),
        dictionary: Buffer.from(dictionary.join("\n"), "utf8"),
      });
    },
  };
}

/**
 * One file over the memories of several files (in row order: the first file's rows first), made from
 * their postings without reading any text again: how small segments are compacted.
 */
export function mergeLexicalFiles(files: readonly Uint8Array[]): Buffer {
  const parts = files.map((bytes) => {
    const { header, sections } = decodeSections<LexicalHeader>(MAGIC, bytes);
    const dictionaryText = Buffer.from(sections.dictionary!.buffer, sections.dictionary!.byteOffset, sections.dictionary!.byteLength).toString("utf8");
    return {
      header,
      lengths: view(Uint32Array, sections.lengths!),
      offsets: view(Uint32Array, sections.offsets!),
      counts: view(Uint32Array, sections.counts!),
      postings: sections.postings!,
      terms: header.terms > 0 ? dictionaryText.split("\n") : [],
    };
  });
  const firsts: number[] = [];
  let docs = 0;
  let totalLength = 0;
  for (const part of parts) {
    firsts.push(docs);
    docs += part.header.docs;
    totalLength += part.header.totalLength;
  }
  // Each term's entries in the files that hold it, in file order (so its rows come out ascending): the
  // union of the dictionaries is sorted once, which stays linear in the entries however many files
  // there are (a version's segment joined from every chunk of a large upload is hundreds of them).
  const entries = new Map<string, number[]>();
  parts.forEach((part, p) => {
    part.terms.forEach((term, index) => {
      const list = entries.get(term);
      if (list) list.push(p, index);
      else entries.set(term, [p, index]);
    });
  });
  const dictionary = [...entries.keys()].sort();
  const offsets = new Uint32Array(dictionary.length + 1);
  const counts = new Uint32Array(dictionary.length);
  const coded = new VarintWriter();
  dictionary.forEach((term, t) => {
    const list = entries.get(term)!;
    let previous = 0;
    let count = 0;
    for (let e = 0; e < list.length; e += 2) {
      const part = parts[list[e]!]!;
      const index = list[e + 1]!;
      const first = firsts[list[e]!]!;
      const reader = new VarintReader(part.postings, part.offsets[index]!);
      let row = 0;
      for (let n = part.counts[index]!; n > 0; n--) {
        row += reader.read();
        const tf = reader.read();
        coded.write(first + row - previous);
        coded.write(tf);
        previous = first + row;
      }
      count += part.counts[index]!;
    }
    counts[t] = count;
    offsets[t + 1] = coded.length;
  });
  const lengths = new Uint32Array(docs);
  parts.forEach((part, p) => lengths.set(part.lengths, firsts[p]!));
  const header: LexicalHeader = { format: "bm25", docs, totalLength, terms: dictionary.length };
  return encodeSections(MAGIC, header, {
    lengths,
    offsets,
    counts,
    postings: coded.bytes(),
    dictionary: Buffer.from(dictionary.join("\n"), "utf8"),
  });
}

export interface LexicalHits {
  rows: number[];
  scores: number[];
}

export interface LexicalIndex {
  readonly docs: number;
  /** Bytes held in memory (for the cache's budget). */
  readonly bytes: number;
  /** Up to `limit` rows by BM25 score, best first; only rows with `allowed[row] === 1` when given. */
  search(queryTerms: string[], options: { limit: number; allowed?: Uint8Array }): LexicalHits;
  /** How many memories hold the term. */
  documentFrequency(term: string): number;
  /** The rows that hold every one of `terms` (ascending). */
  rowsWithAll(terms: string[]): number[];
}

/**
 * One index file: the memories of one segment of a version (rows numbered from 0 within it). Scoring
 * needs the statistics of the whole version (N, average length, each term's document frequency), so a
 * segment only adds its postings into scores the caller sizes and weighs; {@link combineLexical} does.
 */
export interface LexicalSegment {
  readonly docs: number;
  readonly totalLength: number;
  readonly bytes: number;
  /** Words per memory, row order. */
  readonly lengths: Uint32Array;
  /** The term's entry in this segment's dictionary. */
  termIndex(term: string): number | undefined;
  /** Memories of this segment holding the term at `termIndex`. */
  frequency(termIndex: number): number;
  /**
   * Adds the term's BM25 contribution, `idf · tf · (k1 + 1) / (tf + norms[row])`, to `scores[row]` of
   * every row holding it that `allowed(row)` accepts; rows scored for the first time go to `touched`.
   */
  accumulate(termIndex: number, idf: number, norms: Float32Array, scores: Float64Array, touched: number[], allowed?: (row: number) => boolean): void;
  /** The rows holding the term, ascending. */
  rows(termIndex: number): number[];
}

/** Opens an index file written by {@link createLexicalBuilder}; the postings stay coded until a query needs them. */
export function loadLexicalSegment(bytes: Uint8Array): LexicalSegment {
  const { header, sections } = decodeSections<LexicalHeader>(MAGIC, bytes);
  if (header.format !== "bm25") throw new Error(`unknown lexical index format ${String(header.format)}`);
  const lengths = view(Uint32Array, sections.lengths!);
  const offsets = view(Uint32Array, sections.offsets!);
  const counts = view(Uint32Array, sections.counts!);
  const postings = sections.postings!;
  const dictionaryText = Buffer.from(sections.dictionary!.buffer, sections.dictionary!.byteOffset, sections.dictionary!.byteLength).toString("utf8");
  const dictionary = new Map<string, number>();
  if (header.terms > 0) dictionaryText.split("\n").forEach((term, index) => dictionary.set(term, index));

  return {
    docs: header.docs,
    totalLength: header.totalLength,
    lengths,
    bytes: bytes.byteLength + dictionaryText.length * 2 + dictionary.size * 64,
    termIndex: (term) => dictionary.get(term),
    frequency: (termIndex) => counts[termIndex]!,
    accumulate(termIndex, idf, norms, scores, touched, allowed) {
      // The varint loop is inlined: this is the hot path of a query with common words.
      let at = offsets[termIndex]!;
      let row = 0;
      for (let n = counts[termIndex]!; n > 0; n--) {
        let delta = 0;
        let shift = 0;
        let byte: number;
        do {
          byte = postings[at++]!;
          delta += (byte & 0x7f) * 2 ** shift;
          shift += 7;
        } while (byte >= 0x80);
        row += delta;
        let tf = postings[at++]!;
        if (tf >= 0x80) tf = (tf & 0x7f) + postings[at++]! * 128;
        if (allowed && !allowed(row)) continue;
        if (scores[row] === 0) touched.push(row);
        scores[row]! += (idf * tf * (K1 + 1)) / (tf + norms[row]!);
      }
    },
    rows(termIndex) {
      const reader = new VarintReader(postings, offsets[termIndex]!);
      const out: number[] = [];
      let row = 0;
      for (let n = counts[termIndex]!; n > 0; n--) {
        row += reader.read();
        reader.read();
        out.push(row);
      }
      return out;
    },
  };
}

/** A single index file as a whole version's index (a version of one segment, tests). */
export function loadLexicalIndex(bytes: Uint8Array): LexicalIndex {
  return combineLexical([loadLexicalSegment(bytes)]);
}

/**
 * The segments of a version (in row order: the first segment's rows first) searched as one index, with
 * exactly the scores one index over all their memories would give: N, the average length and each
 * term's document frequency are the version's, summed over the segments.
 */
export function combineLexical(segments: readonly LexicalSegment[]): LexicalIndex {
  const firsts: number[] = [];
  let docs = 0;
  let totalLength = 0;
  for (const segment of segments) {
    firsts.push(docs);
    docs += segment.docs;
    totalLength += segment.totalLength;
  }
  const averageLength = docs > 0 ? totalLength / docs : 0;
  // BM25's length normalisation per memory, computed once per version; scores are accumulated in one
  // reused array per segment (search is synchronous, so no two queries share them) and only the
  // touched entries are reset.
  const norms = segments.map((segment) => {
    const out = new Float32Array(segment.docs);
    for (let row = 0; row < segment.docs; row++) out[row] = K1 * (1 - B + (B * segment.lengths[row]!) / averageLength);
    return out;
  });
  const scores = segments.map((segment) => new Float64Array(segment.docs));

  const documentFrequency = (term: string) => {
    let df = 0;
    for (const segment of segments) {
      const index = segment.termIndex(term);
      if (index !== undefined) df += segment.frequency(index);
    }
    return df;
  };

  /**
   * The query terms worth scoring, with their document frequency. In a large vault a term most memories
   * hold ("what", "the", "about") costs a pass over most postings and moves almost nothing (its idf is
   * near zero), so, as a data-driven stop-word list, terms held by more than COMMON_SHARE of the
   * memories are left out of a query that has rarer terms; a query made only of such terms keeps its
   * two rarest.
   */
  function scoredTerms(queryTerms: string[]): { term: string; df: number }[] {
    const known = [...new Set(queryTerms)].map((term) => ({ term, df: documentFrequency(term) })).filter((entry) => entry.df > 0);
    if (docs < COMMON_MIN_DOCS) return known;
    const rare = known.filter((entry) => entry.df <= COMMON_SHARE * docs);
    return rare.length > 0 ? rare : known.sort((a, b) => a.df - b.df).slice(0, 2);
  }

  return {
    docs,
    bytes: segments.reduce((sum, segment) => sum + segment.bytes + segment.docs * 12, 0),
    documentFrequency,
    search(queryTerms, { limit, allowed }) {
      const terms = scoredTerms(queryTerms);
      const candidates: number[] = [];
      const candidateScores: number[] = [];
      segments.forEach((segment, s) => {
        const first = firsts[s]!;
        const own = scores[s]!;
        const touched: number[] = [];
        const accepts = allowed ? (row: number) => allowed[first + row] === 1 : undefined;
        for (const { term, df } of terms) {
          const index = segment.termIndex(term);
          if (index === undefined) continue;
          segment.accumulate(index, Math.log(1 + (docs - df + 0.5) / (df + 0.5)), norms[s]!, own, touched, accepts);
        }
        for (const row of topK(touched, (r) => own[r]!, limit)) {
          candidates.push(first + row);
          candidateScores.push(own[row]!);
        }
        for (const row of touched) own[row] = 0;
      });
      const best = topK(Uint32Array.from(candidates.keys()), (at) => candidateScores[at]!, limit);
      return { rows: best.map((at) => candidates[at]!), scores: best.map((at) => candidateScores[at]!) };
    },
    rowsWithAll(wanted) {
      let rows: number[] | undefined;
      for (const term of new Set(wanted)) {
        const mine: number[] = [];
        segments.forEach((segment, s) => {
          const index = segment.termIndex(term);
          if (index !== undefined) for (const row of segment.rows(index)) mine.push(firsts[s]! + row);
        });
        if (mine.length === 0) return [];
        if (rows === undefined) rows = mine;
        else {
          const keep = new Set(mine);
          rows = rows.filter((row) => keep.has(row));
        }
        if (rows.length === 0) return [];
      }
      return rows ?? [];
    },
  };
}

/** Unsigned LEB128, the varint of protobuf and DWARF. */
class VarintWriter {
  private buffer = new Uint8Array(1 << 16);
  length = 0;

  write(value: number): void {
    if (this.length + 5 > this.buffer.length) this.buffer = grown(this.buffer, this.buffer.length * 2);
    while (value >= 0x80) {
      this.buffer[this.length++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    this.buffer[this.length++] = value;
  }

  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}

class VarintReader {
  constructor(
    private readonly bytes: Uint8Array,
    private at: number,
  ) {}

  read(): number {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = this.bytes[this.at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
      shift += 7;
    }
  }
}
