import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, isWhitespace, OPEN_BRACE, OPEN_BRACKET, QUOTE } from "./json-bytes";

/**
 * `JSON.parse` of a JSON text held as UTF-8 bytes, without decoding a large text into one string.
 *
 * V8 allocates a string above its regular object size limit (128 KiB, i.e. 64 Ki two-byte characters) in
 * its large-object space, one fresh memory mapping per string, released when the string dies: every page
 * of it is faulted in again for the next one. An export's conversations often exceed that, and decoding
 * them whole measured about seven times the CPU per byte of smaller ones (almost all of it page faults).
 * So a text bigger than {@link PIECE_BYTES} that is an object or an array is split at its members (or
 * items) and each is parsed on its own, recursively; the pieces are decoded into regular-sized strings.
 *
 * The result is what `JSON.parse` of the whole text gives: members in order, a repeated name keeps its
 * first position and its last value, `__proto__` is an own property. Anything `JSON.parse` would refuse
 * is refused with a SyntaxError: the punctuation between the pieces is checked here (ECMA-404: members
 * are `string : value` separated by commas, whitespace is space, tab, line feed or carriage return), and
 * every name and value is checked by `JSON.parse` itself. The pieces are cut only at structural
 * characters outside strings, which are ASCII, so no UTF-8 sequence is ever cut.
 * https://ecma-international.org/publications-and-standards/standards/ecma-404/
 */

/**
 * Texts up to this many bytes are decoded and parsed whole. A UTF-8 byte decodes to at most one UTF-16
 * code unit (a 4-byte sequence to two), so their string has at most 64,000 units, 128,000 bytes even if
 * two-byte: a regular string, under the 128 KiB limit. The 32 KiB used before split 39% of the
 * conversations of bench:ingest's export, against 14%: parsing 4,000 of them took 824 ms against 722 ms
 * (least of 8 rounds in one process); 100,000 bytes, past the limit, took 829 ms.
 */
export const PIECE_BYTES = 64_000;

/**
 * Parses `bytes` as `JSON.parse(bytes.toString("utf8"))` would, decoding texts of more than `pieceBytes`
 * piece by piece (a smaller `pieceBytes` only splits more: tests use it to split everything).
 */
export function parseJsonBytes(bytes: Buffer, pieceBytes = PIECE_BYTES): unknown {
  return parseRange(bytes, 0, bytes.length, pieceBytes);
}

function parseRange(bytes: Buffer, start: number, end: number, pieceBytes: number): unknown {
  if (end - start <= pieceBytes) return JSON.parse(bytes.toString("utf8", start, end));
  const first = skipWhitespace(bytes, start, end);
  let last = end - 1;
  while (last > first && isWhitespace(bytes[last]!)) last -= 1;
  if (bytes[first] === OPEN_BRACE && bytes[last] === CLOSE_BRACE) return parseObject(bytes, first, last, pieceBytes);
  if (bytes[first] === OPEN_BRACKET && bytes[last] === CLOSE_BRACKET) return parseArray(bytes, first, last, pieceBytes);
  // A long string (or something malformed, which JSON.parse refuses as it should).
  return JSON.parse(bytes.toString("utf8", start, end));
}

/** The object whose `{` is at `open` and `}` at `close`. */
function parseObject(bytes: Buffer, open: number, close: number, pieceBytes: number): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  let at = skipWhitespace(bytes, open + 1, close);
  if (at === close) return object;
  for (;;) {
    if (bytes[at] !== QUOTE) throw unexpected(bytes, at);
    const nameEnd = stringEnd(bytes, at, close);
    const name = JSON.parse(bytes.toString("utf8", at, nameEnd)) as string;
    at = skipWhitespace(bytes, nameEnd, close);
    if (bytes[at] !== COLON) throw unexpected(bytes, at);
    at = skipWhitespace(bytes, at + 1, close);
    const valueEnd = valueEndAt(bytes, at, close);
    const value = parseRange(bytes, at, valueEnd, pieceBytes);
    // JSON.parse defines members as own data properties; assigning `__proto__` would set the prototype.
    if (name === "__proto__") Object.defineProperty(object, name, { value, writable: true, enumerable: true, configurable: true });
    else object[name] = value;
    at = skipWhitespace(bytes, valueEnd, close);
    if (at === close) return object;
    if (bytes[at] !== COMMA) throw unexpected(bytes, at);
    at = skipWhitespace(bytes, at + 1, close);
  }
}

/** The array whose `[` is at `open` and `]` at `close`. */
function parseArray(bytes: Buffer, open: number, close: number, pieceBytes: number): unknown[] {
  const array: unknown[] = [];
  let at = skipWhitespace(bytes, open + 1, close);
  if (at === close) return array;
  for (;;) {
    const valueEnd = valueEndAt(bytes, at, close);
    array.push(parseRange(bytes, at, valueEnd, pieceBytes));
    at = skipWhitespace(bytes, valueEnd, close);
    if (at === close) return array;
    if (bytes[at] !== COMMA) throw unexpected(bytes, at);
    at = skipWhitespace(bytes, at + 1, close);
  }
}

/**
 * Where the value starting at `at` ends (exclusive), looking no further than `limit`: after its closing
 * quote or bracket, or, for a number or literal, at the next punctuation or whitespace. Only where it
 * ends: whether it is valid is JSON.parse's to say.
 */
function valueEndAt(bytes: Buffer, at: number, limit: number): number {
  const first = bytes[at];
  if (first === QUOTE) return stringEnd(bytes, at, limit);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    for (let i = at; i < limit; i++) {
      const byte = bytes[i]!;
      if (byte === QUOTE) i = stringEnd(bytes, i, limit) - 1;
      else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth += 1;
      else if ((byte === CLOSE_BRACE || byte === CLOSE_BRACKET) && --depth === 0) return i + 1;
    }
    throw new SyntaxError("Unterminated JSON object or array");
  }
  let i = at;
  while (i < limit) {
    const byte = bytes[i]!;
    if (byte === COMMA || byte === CLOSE_BRACE || byte === CLOSE_BRACKET || isWhitespace(byte)) break;
    i += 1;
  }
  if (i === at) throw unexpected(bytes, at);
  return i;
}

/** Just past the closing quote of the string whose opening quote is at `open`. */
function stringEnd(bytes: Buffer, open: number, limit: number): number {
  let from = open + 1;
  for (;;) {
    const quote = bytes.indexOf(QUOTE, from);
    if (quote < 0 || quote >= limit) throw new SyntaxError("Unterminated string in JSON");
    let backslashes = 0;
    while (bytes[quote - 1 - backslashes] === BACKSLASH && quote - 1 - backslashes > open) backslashes += 1;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

function skipWhitespace(bytes: Buffer, at: number, limit: number): number {
  while (at < limit && isWhitespace(bytes[at]!)) at += 1;
  return at;
}

function unexpected(bytes: Buffer, at: number): SyntaxError {
  return new SyntaxError(at < bytes.length ? `Unexpected character ${JSON.stringify(String.fromCharCode(bytes[at]!))} in JSON at byte ${at}` : "Unexpected end of JSON input");
}
