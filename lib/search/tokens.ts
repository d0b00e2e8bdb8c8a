/**
 * How text becomes search terms, shared by the lexical index (built at merge time), the query and the
 * snippet highlighter, so that all three agree on what a "word" is.
 *
 * Personal memory is full of identifiers an embedding blurs: order numbers (`ORD-88412`), function
 * names (`parse_invoice_v2`, `calculateTotal`), file names, versions. Each run of letters, digits and
 * underscores is a term (lower-cased, accents kept), and a run joined by `-`, `.`, `/`, `:` or `#` is
 * also kept whole, so `ORD-88412` matches both `ord-88412` and `88412`.
 */

const WORD = /[\p{L}\p{N}_]+(?:[-./:#][\p{L}\p{N}_]+)*/gu;
/** Terms longer than this are not words (base64, hashes pasted whole): indexing them only costs space. */
export const MAX_TERM_LENGTH = 64;

/** The terms of a text, in order, with repeats: each word, plus each joined compound as a whole. */
export function terms(text: string): string[] {
  const out: string[] = [];
  forEachTerm(text, (term) => out.push(term));
  return out;
}

/** {@link terms} without the array: `visit` gets each term in order. */
export function forEachTerm(text: string, visit: (term: string) => void): void {
  const lower = text.toLowerCase();
  forEachTermSpan(lower, (start, end) => visit(lower.slice(start, end)));
}

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/**
 * The terms of `lower` (a text already lower-cased) as spans: `visit(start, end, hash)` for each term
 * `lower.slice(start, end)`, in {@link terms}' order, `hash` being the term's 32-bit FNV-1a over UTF-16
 * code units (http://www.isthe.com/chongo/tech/comp/fnv/). No string is made, so a caller that has seen
 * a term before (the lexical index builder) looks it up by hash and compares it in place.
 *
 * The text is scanned once, code unit by code unit, with `WORD`'s exact meaning: a run of word
 * characters (`[\p{L}\p{N}_]`, judged once per character through a table), extended while a joiner is
 * followed by another run; each run is a term, and the whole when it joins runs. This is the hottest
 * loop of indexing (every memory's text is tokenised for its segment), where matching `WORD`, then each
 * word's parts, with regexes cost several times as much.
 */
export function forEachTermSpan(lower: string, visit: (start: number, end: number, hash: number) => void): void {
  const end = lower.length;
  let at = 0;
  while (at < end) {
    // `unit` is the code unit at `at`, read once: each character is read once per scan.
    let unit = lower.charCodeAt(at);
    let units = unit < 0x80 ? asciiWordUnits[unit]! : wordUnits(lower, at);
    if (units === 0) {
      at += 1;
      continue;
    }
    const wordStart = at;
    let parts = 0;
    let partStart = at;
    for (;;) {
      let hash = FNV_OFFSET;
      for (;;) {
        hash = Math.imul(hash ^ unit, FNV_PRIME);
        if (units === 2) hash = Math.imul(hash ^ lower.charCodeAt(at + 1), FNV_PRIME);
        at += units;
        if (at === end) break;
        unit = lower.charCodeAt(at);
        units = unit < 0x80 ? asciiWordUnits[unit]! : wordUnits(lower, at);
        if (units === 0) break;
      }
      parts += 1;
      if (at - partStart <= MAX_TERM_LENGTH) visit(partStart, at, hash);
      // A joiner (`unit`, the code unit the run stopped at) followed by another run goes on with it.
      if (at + 1 < end && unit < 0x80 && asciiJoiner[unit] === 1) {
        const next = lower.charCodeAt(at + 1);
        units = next < 0x80 ? asciiWordUnits[next]! : wordUnits(lower, at + 1);
        if (units > 0) {
          at += 1;
          partStart = at;
          unit = next;
          continue;
        }
      }
      break;
    }
    if (parts > 1 && at - wordStart <= MAX_TERM_LENGTH) {
      // A compound (rare): hashed again whole, which keeps the loop above to one hash per code unit.
      let hash = FNV_OFFSET;
      for (let unit = wordStart; unit < at; unit++) hash = Math.imul(hash ^ lower.charCodeAt(unit), FNV_PRIME);
      visit(wordStart, at, hash);
    }
    // The code unit the word stopped at is no word character (or the text ended): step over it.
    at += 1;
  }
}

const WORD_CHARACTER = /^[\p{L}\p{N}_]$/u;
/** 1 for the ASCII code units that join word runs (`-./:#`): a table, as for word characters, not a Set. */
const asciiJoiner = Uint8Array.from({ length: 0x80 }, (_, unit) => ("-./:#".includes(String.fromCharCode(unit)) ? 1 : 0));
/** Per UTF-16 code unit of the Basic Multilingual Plane: 0 not judged yet, 1 a word character, 2 not. */
const bmpClass = new Uint8Array(0x10000);
/** {@link wordUnits} of each ASCII code unit, looked up without a call: most text is ASCII. */
const asciiWordUnits = Uint8Array.from({ length: 0x80 }, (_, unit) => (/[\p{L}\p{N}_]/u.test(String.fromCharCode(unit)) ? 1 : 0));
const astralWord = new Map<number, boolean>();

/**
 * Code units of the word character at `at` (1, or 2 for a letter or digit outside the BMP), 0 if the
 * character there is not a word character. A lone surrogate is not one, as in a `u`-flag regex.
 */
function wordUnits(text: string, at: number): number {
  const unit = text.charCodeAt(at);
  if (unit >= 0xd800 && unit <= 0xdbff && at + 1 < text.length) {
    const low = text.charCodeAt(at + 1);
    if (low >= 0xdc00 && low <= 0xdfff) {
      const point = (unit - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
      let word = astralWord.get(point);
      if (word === undefined) astralWord.set(point, (word = WORD_CHARACTER.test(String.fromCodePoint(point))));
      return word ? 2 : 0;
    }
  }
  let known = bmpClass[unit]!;
  if (known === 0) bmpClass[unit] = known = (unit < 0xd800 || unit > 0xdfff) && WORD_CHARACTER.test(String.fromCharCode(unit)) ? 1 : 2;
  return known === 1 ? 1 : 0;
}

/** The distinct terms of a query, in the order first seen. */
export function queryTerms(query: string): string[] {
  return [...new Set(terms(query))];
}

/**
 * A term a person types when they want the one memory that contains it, not memories about the same
 * topic: it has a digit or an underscore in it, joins parts (`a.b`, `x-1`), or mixes case in the
 * original query (`calculateTotal`).
 */
export function looksLikeIdentifier(term: string, original?: string): boolean {
  if (/[\p{N}_]/u.test(term) || /[-./:#]/.test(term)) return true;
  return original !== undefined && /\p{Ll}\p{Lu}/u.test(original);
}

/** The identifier-like terms of a query, judged on the query as typed (for mixed case). */
export function identifierTerms(query: string): string[] {
  const found = new Set<string>();
  for (const match of query.matchAll(WORD)) {
    const word = match[0];
    const lower = word.toLowerCase();
    if (lower.length > MAX_TERM_LENGTH) continue;
    if (looksLikeIdentifier(lower, word)) found.add(lower);
  }
  return [...found];
}
