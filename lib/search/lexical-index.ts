import { decodeSections, encodeSections, view } from "./binary-sections";
import { terms as textTerms } from "./tokens";
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
 * Later (issue 12, merges that cost only what is new): a version can hold several of these files, one
 * per segment, each scoring with the version's global N and avgdl; results are merged the same way.
 */
const MAGIC = "CZBM25\u0001\n";
const K1 = 1.2;
const B = 0.75;
/** tf is stored up to this; a word repeated more often in one memory adds nothing further to its score. */
const MAX_TF = 255;
/** Below this many memories every query term is scored (it is cheap); above, see `scoredTerms`. */
const COMMON_MIN_DOCS = 20_000;
const COMMON_SHARE = 0.1;

interface LexicalHeader {
  format: "bm25";
  docs: number;
  totalLength: number;
  terms: number;
}

/** Collects memories row by row (rows must arrive as 0, 1, 2, …), then encodes the index. */
export function createLexicalBuilder() {
  // One number per posting: row × 256 + tf, a small integer V8 stores unboxed for rows below 2^23.
  const postings = new Map<string, number[]>();
  const lengths: number[] = [];
  let totalLength = 0;

  return {
    add(row: number, text: string): void {
      if (row !== lengths.length) throw new Error(`lexical index: row ${row} added out of order (expected ${lengths.length})`);
      const counts = new Map<string, number>();
      const words = textTerms(text);
      for (const term of words) counts.set(term, (counts.get(term) ?? 0) + 1);
      for (const [term, tf] of counts) {
        let list = postings.get(term);
        if (!list) postings.set(term, (list = []));
        list.push(row * 256 + Math.min(tf, MAX_TF));
      }
      lengths.push(words.length);
      totalLength += words.length;
    },

    /** The index file's bytes. */
    encode(): Buffer {
      const dictionary = [...postings.keys()].sort();
      const offsets = new Uint32Array(dictionary.length + 1);
      const counts = new Uint32Array(dictionary.length);
      const coded = new VarintWriter();
      dictionary.forEach((term, index) => {
        const list = postings.get(term)!;
        let previous = 0;
        for (const packed of list) {
          const row = Math.floor(packed / 256);
          coded.write(row - previous);
          coded.write(packed % 256);
          previous = row;
        }
        counts[index] = list.length;
        offsets[index + 1] = coded.length;
      });
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

/** Opens an index file written by {@link createLexicalBuilder}; the postings stay coded until a query needs them. */
export function loadLexicalIndex(bytes: Uint8Array): LexicalIndex {
  const { header, sections } = decodeSections<LexicalHeader>(MAGIC, bytes);
  if (header.format !== "bm25") throw new Error(`unknown lexical index format ${String(header.format)}`);
  const lengths = view(Uint32Array, sections.lengths!);
  const offsets = view(Uint32Array, sections.offsets!);
  const counts = view(Uint32Array, sections.counts!);
  const postings = sections.postings!;
  const dictionaryText = Buffer.from(sections.dictionary!.buffer, sections.dictionary!.byteOffset, sections.dictionary!.byteLength).toString("utf8");
  const dictionary = new Map<string, number>();
  if (header.terms > 0) dictionaryText.split("\n").forEach((term, index) => dictionary.set(term, index));
  const docs = header.docs;
  const averageLength = docs > 0 ? header.totalLength / docs : 0;

  function decode(termIndex: number, each: (row: number, tf: number) => void): void {
    const reader = new VarintReader(postings, offsets[termIndex]!);
    let row = 0;
    for (let n = counts[termIndex]!; n > 0; n--) {
      row += reader.read();
      each(row, reader.read());
    }
  }

  // BM25's length normalisation per memory, computed once; scores are accumulated in one reused array
  // (search is synchronous, so no two queries share it) and only the touched entries are reset.
  const norms = new Float32Array(docs);
  for (let row = 0; row < docs; row++) norms[row] = K1 * (1 - B + (B * lengths[row]!) / averageLength);
  const scores = new Float64Array(docs);

  /**
   * The dictionary indexes of the query terms worth scoring. In a large vault a term most memories hold
   * ("what", "the", "about") costs a pass over most postings and moves almost nothing (its idf is near
   * zero), so, as a data-driven stop-word list, terms held by more than COMMON_SHARE of the memories are
   * left out of a query that has rarer terms; a query made only of such terms keeps its two rarest.
   */
  function scoredTerms(queryTerms: string[]): number[] {
    const known = [...new Set(queryTerms)].map((term) => dictionary.get(term)).filter((index) => index !== undefined);
    if (docs < COMMON_MIN_DOCS) return known;
    const rare = known.filter((index) => counts[index]! <= COMMON_SHARE * docs);
    return rare.length > 0 ? rare : known.sort((a, b) => counts[a]! - counts[b]!).slice(0, 2);
  }

  return {
    docs,
    bytes: bytes.byteLength + docs * 12 + dictionaryText.length * 2 + dictionary.size * 64,
    documentFrequency: (term) => {
      const index = dictionary.get(term);
      return index === undefined ? 0 : counts[index]!;
    },
    search(queryTerms, { limit, allowed }) {
      const touched: number[] = [];
      for (const index of scoredTerms(queryTerms)) {
        const df = counts[index]!;
        const idf = Math.log(1 + (docs - df + 0.5) / (df + 0.5));
        // The varint loop is inlined: this is the hot path of a query with common words.
        let at = offsets[index]!;
        let row = 0;
        for (let n = df; n > 0; n--) {
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
          if (allowed && allowed[row] !== 1) continue;
          if (scores[row] === 0) touched.push(row);
          scores[row]! += (idf * tf * (K1 + 1)) / (tf + norms[row]!);
        }
      }
      const best = topK(touched, (row) => scores[row]!, limit);
      const bestScores = best.map((row) => scores[row]!);
      for (const row of touched) scores[row] = 0;
      return { rows: best, scores: bestScores };
    },
    rowsWithAll(wanted) {
      let rows: number[] | undefined;
      for (const term of new Set(wanted)) {
        const index = dictionary.get(term);
        if (index === undefined) return [];
        const mine: number[] = [];
        decode(index, (row) => mine.push(row));
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
    if (this.length + 5 > this.buffer.length) {
      const bigger = new Uint8Array(this.buffer.length * 2);
      bigger.set(this.buffer.subarray(0, this.length));
      this.buffer = bigger;
    }
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
