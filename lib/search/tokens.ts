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
const PART = /[\p{L}\p{N}_]+/gu;
/** Terms longer than this are not words (base64, hashes pasted whole): indexing them only costs space. */
export const MAX_TERM_LENGTH = 64;

/** The terms of a text, in order, with repeats: each word, plus each joined compound as a whole. */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const match of text.toLowerCase().matchAll(WORD)) {
    const word = match[0];
    const parts = word.match(PART)!;
    for (const part of parts) if (part.length <= MAX_TERM_LENGTH) out.push(part);
    if (parts.length > 1 && word.length <= MAX_TERM_LENGTH) out.push(word);
  }
  return out;
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
