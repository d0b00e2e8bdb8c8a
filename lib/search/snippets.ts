import { FUNCTION_WORDS } from "../vectors/stop-words";
import { MAX_TERM_LENGTH } from "./tokens";

const WORD = /[\p{L}\p{N}_]+(?:[-./:#][\p{L}\p{N}_]+)*/gu;

/**
 * A short excerpt of `text` around the densest cluster of query terms, with each matching word wrapped
 * in `**` (Markdown bold: a model quoting it or a terminal showing it both understand that). Whitespace
 * is collapsed; `…` marks a cut. Without a match, the start of the text. Stop words of the query ("I",
 * "and", "do") are not marked, nor do they pull the excerpt towards them, unless the query has no
 * other words.
 */
export function snippet(text: string, queryTerms: readonly string[], options: { maxChars?: number } = {}): string {
  const maxChars = options.maxChars ?? 220;
  const flat = text.replace(/\s+/g, " ").trim();
  const meaningful = queryTerms.filter((term) => !FUNCTION_WORDS.has(term));
  const wanted = new Set(meaningful.length > 0 ? meaningful : queryTerms);
  const hits: { start: number; end: number; term: string }[] = [];
  for (const match of flat.matchAll(WORD)) {
    const word = match[0].toLowerCase();
    if (word.length > MAX_TERM_LENGTH) continue;
    if (wanted.has(word) || word.split(/[-./:#]/).some((part) => wanted.has(part))) {
      hits.push({ start: match.index, end: match.index + match[0].length, term: word });
    }
  }

  // The window start that covers the most distinct terms (ties: the earliest).
  let best = { start: 0, score: 0 };
  for (let i = 0; i < hits.length; i++) {
    const distinct = new Set<string>();
    for (let j = i; j < hits.length && hits[j]!.end - hits[i]!.start <= maxChars; j++) distinct.add(hits[j]!.term);
    if (distinct.size > best.score) best = { start: hits[i]!.start, score: distinct.size };
  }
  let start = best.score > 0 ? Math.max(0, best.start - Math.floor(maxChars / 4)) : 0;
  if (start > 0) {
    const space = flat.indexOf(" ", start);
    start = space >= 0 && space < best.start ? space + 1 : start;
  }
  let end = Math.min(flat.length, start + maxChars);
  if (end < flat.length) {
    const space = flat.lastIndexOf(" ", end);
    if (space > start + maxChars / 2) end = space;
  }

  let out = "";
  let at = start;
  for (const hit of hits) {
    if (hit.start < start || hit.end > end) continue;
    out += flat.slice(at, hit.start) + "**" + flat.slice(hit.start, hit.end) + "**";
    at = hit.end;
  }
  out += flat.slice(at, end);
  return (start > 0 ? "…" : "") + out + (end < flat.length ? "…" : "");
}
