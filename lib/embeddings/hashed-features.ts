import { englishStopWords } from "./stop-words";

/*
 * Feature hashing ("the hashing trick") of lower-cased word unigrams and bigrams into a fixed number of
 * dimensions, with a hash-derived sign so collisions cancel out on average instead of piling up
 * (Weinberger et al., 2009). Everything here is part of the `local-hash-v1` model definition: changing a
 * constant, the tokeniser or the weights changes every vector, and needs a new model name.
 *
 * Written for speed (the ingest budget leaves ~50 µs per 300-word exchange): one pass over UTF-16 code
 * units, FNV-1a computed while scanning, counts in a reused open-addressing table, no regexes and no
 * per-token strings.
 */

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
const UNIGRAM_SEED = 0x2545f491;
const BIGRAM_SEED = 0x6a09e667;
/** The feature an empty text (no word characters at all) embeds as, so its vector is a defined unit vector. */
const EMPTY_TEXT_SEED = 0x3c6ef372;

/** Feature classes and their weights: stop-word unigrams count little, bigrams a little less than words. */
const WORD = 0;
const STOP_WORD = 1;
const BIGRAM = 2;
const classWeights = new Float64Array([1, 0.15, 0.7]);

/** FNV-1a over UTF-16 code units (not UTF-8 bytes): equal strings hash equally, which is all we need. */
export function fnv1a(text: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h;
}

/** MurmurHash3's finaliser: spreads FNV's weak low bits, which choose the dimension. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

// Character classes: 0 separates words, 1 belongs to a word, 2 is a word on its own (Han and kana,
// written without spaces, where a character is the closest cheap thing to a word and bigrams of
// characters carry the rest).
const SEPARATOR = 0;
const WORD_CHAR = 1;
const SOLO_CHAR = 2;
const asciiClass = new Uint8Array(128);
for (let c = 48; c <= 57; c++) asciiClass[c] = WORD_CHAR;
for (let c = 97; c <= 122; c++) asciiClass[c] = WORD_CHAR;
asciiClass[95] = WORD_CHAR; // "_" keeps code identifiers whole

function nonAsciiClass(c: number): number {
  if (c < 0xc0) return c === 0xaa || c === 0xb5 || c === 0xba ? WORD_CHAR : SEPARATOR; // Latin-1 punctuation
  if (c >= 0x2000 && c <= 0x2bff) return SEPARATOR; // general punctuation, symbols, arrows, box drawing
  if (c >= 0x3000 && c <= 0x303f) return SEPARATOR; // CJK punctuation
  if ((c >= 0x3040 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff)) {
    return SOLO_CHAR;
  }
  if (c >= 0xd800 && c <= 0xdfff) return SEPARATOR; // astral planes: mostly emoji, which carry little for search
  if (c >= 0xfe30 && c <= 0xfe4f) return SEPARATOR;
  if (c >= 0xff00 && c <= 0xff0f) return SEPARATOR; // full-width punctuation
  return WORD_CHAR;
}

// Stop words are recognised by their FNV hash, the value the scanner already has in hand, looked up in
// an open-addressing table of those hashes (a `Set` lookup per token cost more than the rest of addToken).
const stopWordTable = (() => {
  const hashes = [...new Set(englishStopWords.map(fnv1a))];
  let size = 16;
  while (size < hashes.length * 4) size *= 2;
  const table = new Int32Array(size);
  const used = new Uint8Array(size);
  for (const hash of hashes) {
    let slot = fmix32(hash) & (size - 1);
    while (used[slot]) slot = (slot + 1) & (size - 1);
    table[slot] = hash;
    used[slot] = 1;
  }
  return { table, used, mask: size - 1 };
})();

function isStopWord(tokenHash: number): boolean {
  const { table, used, mask } = stopWordTable;
  for (let slot = fmix32(tokenHash) & mask; used[slot]; slot = (slot + 1) & mask) if (table[slot] === tokenHash) return true;
  return false;
}

// Reused counting table (the embedder is synchronous, so one scratch table per process is safe).
let capacity = 0;
let mask = 0;
let keys = new Int32Array(0);
let counts = new Int32Array(0);
let classes = new Uint8Array(0);
let usedSlots = new Int32Array(0);
let usedCount = 0;
allocate(4096);

function allocate(size: number): void {
  capacity = size;
  mask = size - 1;
  keys = new Int32Array(size);
  counts = new Int32Array(size);
  classes = new Uint8Array(size);
  usedSlots = new Int32Array(size >>> 1);
  usedCount = 0;
}

function clearTable(): void {
  if (usedCount > capacity >>> 3) keys.fill(0);
  else for (let i = 0; i < usedCount; i++) keys[usedSlots[i]!] = 0;
  usedCount = 0;
}

function grow(): void {
  const oldKeys = keys;
  const oldCounts = counts;
  const oldClasses = classes;
  const oldUsed = usedSlots;
  const oldUsedCount = usedCount;
  allocate(capacity * 2);
  for (let i = 0; i < oldUsedCount; i++) {
    const slot = oldUsed[i]!;
    insert(oldKeys[slot]!, oldClasses[slot]!, oldCounts[slot]!);
  }
}

function insert(key: number, featureClass: number, count: number): void {
  if (key === 0) key = 1; // 0 marks an empty slot
  let slot = key & mask;
  for (;;) {
    const k = keys[slot]!;
    if (k === key) {
      counts[slot]! += count;
      return;
    }
    if (k === 0) {
      keys[slot] = key;
      counts[slot] = count;
      classes[slot] = featureClass;
      usedSlots[usedCount++] = slot;
      if (usedCount * 2 >= capacity) grow();
      return;
    }
    slot = (slot + 1) & mask;
  }
}

// Scanner state for the bigram of the previous token, and for the word being read when a text comes in pieces.
let previousToken = 0;
let hasPreviousToken = false;
let wordHash = FNV_OFFSET;
let inWord = false;

function addToken(tokenHash: number): void {
  insert(fmix32(tokenHash ^ UNIGRAM_SEED), isStopWord(tokenHash) ? STOP_WORD : WORD, 1);
  if (hasPreviousToken) insert(fmix32(Math.imul(previousToken, 0x9e3779b1) ^ tokenHash ^ BIGRAM_SEED), BIGRAM, 1);
  previousToken = tokenHash;
  hasPreviousToken = true;
}

// 1 + ln(tf) for small counts, the common case, without calling Math.log.
const sublinearTf = new Float64Array(256);
for (let tf = 1; tf < sublinearTf.length; tf++) sublinearTf[tf] = 1 + Math.log(tf);

/**
 * The `local-hash-v1` vector of `text`: sign-hashed unigram and bigram features with sublinear TF
 * weights (1 + ln tf), L2-normalised. A text without any word character is the unit vector of a
 * reserved "empty text" feature, so it is still a valid unit vector (similar to other empty texts,
 * nearly orthogonal to everything else) rather than zeros, whose cosine is undefined. Written into
 * `into` (a row of `dim` floats, overwritten) when given, which is then the vector returned.
 */
export function hashedFeatureVector(text: string, dim: number, into?: Float32Array): Float32Array {
  if (into && into.length !== dim) throw new RangeError(`hashedFeatureVector: a row of ${into.length} floats for dim ${dim}`);
  startText();
  scan(text.toLowerCase());
  return finishText(dim, into);
}

/**
 * {@link hashedFeatureVector} of the text `pieces.join("")` is once lower-cased, given as the pieces of
 * that lower-cased text (`String.prototype.toLowerCase`): the same vector, bit for bit, without joining
 * the pieces or lower-casing them again. For a caller that lower-cases a memory's fields once for more
 * than one use (lib/ingest/vault-nodes.ts `lowerCasedTexts`).
 */
export function hashedFeatureVectorOfLowerCased(pieces: readonly string[], dim: number, into?: Float32Array): Float32Array {
  if (into && into.length !== dim) throw new RangeError(`hashedFeatureVector: a row of ${into.length} floats for dim ${dim}`);
  startText();
  for (const piece of pieces) scan(piece);
  return finishText(dim, into);
}

function startText(): void {
  clearTable();
  hasPreviousToken = false;
  wordHash = FNV_OFFSET;
  inWord = false;
}

/** Reads a lower-cased piece of the text, a word going on from the piece before if it ended in one. */
function scan(lower: string): void {
  // The state in locals for the loop, as it is the embedder's hottest.
  let h = wordHash;
  let word = inWord;
  const n = lower.length;
  for (let i = 0; i < n; i++) {
    const c = lower.charCodeAt(i);
    const charClass = c < 128 ? asciiClass[c]! : nonAsciiClass(c);
    if (charClass === WORD_CHAR) {
      h = Math.imul(h ^ c, FNV_PRIME);
      word = true;
      continue;
    }
    if (word) {
      addToken(h);
      h = FNV_OFFSET;
      word = false;
    }
    if (charClass === SOLO_CHAR) addToken(Math.imul(FNV_OFFSET ^ c, FNV_PRIME));
  }
  wordHash = h;
  inWord = word;
}

function finishText(dim: number, into: Float32Array | undefined): Float32Array {
  // The end of the text ends its last word.
  if (inWord) addToken(wordHash);
  if (usedCount === 0) insert(fmix32(EMPTY_TEXT_SEED), WORD, 1);

  const vector = into ? into.fill(0) : new Float32Array(dim);
  // x % dim equals x & (dim - 1) for x >= 0 when dim is a power of two (1024, bge-m3's), and costs no division.
  const powerOfTwo = (dim & (dim - 1)) === 0;
  for (let i = 0; i < usedCount; i++) {
    const slot = usedSlots[i]!;
    const key = keys[slot]!;
    const tf = counts[slot]!;
    const weight = (tf < 256 ? sublinearTf[tf]! : 1 + Math.log(tf)) * classWeights[classes[slot]!]!;
    // Bit 0 chooses the sign, the other 31 bits the dimension.
    const index = powerOfTwo ? (key >>> 1) & (dim - 1) : (key >>> 1) % dim;
    vector[index]! += key & 1 ? -weight : weight;
  }
  let sumOfSquares = 0;
  for (let i = 0; i < dim; i++) sumOfSquares += vector[i]! * vector[i]!;
  if (sumOfSquares === 0) {
    // Every feature cancelled out (possible only with tiny dims): fall back to the empty-text vector.
    vector[(fmix32(EMPTY_TEXT_SEED) >>> 1) % dim] = 1;
    return vector;
  }
  const scale = 1 / Math.sqrt(sumOfSquares);
  for (let i = 0; i < dim; i++) vector[i]! *= scale;
  return vector;
}
