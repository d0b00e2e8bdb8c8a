/*
 * Splits an embeddings answer (`{"object":"list","data":[{…},{…}],"model":…}`) into the bytes of its
 * `data` items without turning the whole body into one string. A 32-vector base64 answer is ~176 KB;
 * as one string it lands in V8's large-object space (≈ 100 µs to allocate and copy, then GC work),
 * while 32 strings of ~5.5 KB are cheap. At hundreds of answers a second that is the difference between
 * a client that keeps up and one whose event loop adds latency to every request.
 *
 * The scanner only looks at structure: it jumps from quote to quote with `indexOf` (base64 and number
 * arrays contain no quotes), tracks nesting, finds the top-level "data" array and returns each of its
 * object items. Each item is then parsed with JSON.parse and validated by the caller, so a garbled item
 * still fails loudly; the scanner itself insists on a top-level object whose nesting closes exactly.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;

/** Index of the quote closing the string that opens at `start`, or -1 when it never closes. */
function closingQuote(bytes: Buffer, start: number): number {
  let end = bytes.indexOf(QUOTE, start + 1);
  while (end > 0 && bytes[end - 1] === BACKSLASH) {
    let backslashes = 1;
    while (bytes[end - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) break; // the backslashes escape each other, not the quote
    end = bytes.indexOf(QUOTE, end + 1);
  }
  return end;
}

/**
 * The byte ranges of the object items of the top-level `"data"` array, or undefined when the body is
 * not a well-nested JSON object with such an array.
 */
export function dataItems(body: Buffer): Buffer[] | undefined {
  let first = 0;
  while (first < body.length && body[first]! <= 0x20) first++;
  if (body[first] !== OPEN_OBJECT) return undefined;

  const items: Buffer[] = [];
  let depth = 0;
  let lastShortString: string | undefined; // the most recent string at depth 1: a key, if a colon follows
  let key: string | undefined;
  let inData = false;
  let sawData = false;
  let itemStart = -1;
  for (let i = first; i < body.length; i++) {
    const byte = body[i]!;
    if (byte === QUOTE) {
      const end = closingQuote(body, i);
      if (end < 0) return undefined;
      if (depth === 1) lastShortString = end - i <= 16 ? body.toString("latin1", i + 1, end) : undefined;
      if (depth === 2 && inData) return undefined; // a data item that is a string
      i = end;
    } else if (byte === COLON) {
      if (depth === 1) key = lastShortString;
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      depth++;
      if (depth === 2 && byte === OPEN_ARRAY && key === "data" && !sawData) {
        inData = sawData = true;
      } else if (inData && depth === 3) {
        itemStart = i;
      }
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      if (inData && depth === 3 && itemStart >= 0) {
        items.push(body.subarray(itemStart, i + 1));
        itemStart = -1;
      } else if (inData && depth === 2) {
        inData = false;
      }
      depth--;
      if (depth < 0) return undefined;
      if (depth === 0) {
        // Only whitespace may follow the top-level object.
        for (let j = i + 1; j < body.length; j++) if (body[j]! > 0x20) return undefined;
        return sawData ? items : undefined;
      }
    } else if (depth === 2 && inData && byte > 0x20 && byte !== 0x2c) {
      return undefined; // a data item that is not an object (number, string, null, …)
    }
  }
  return undefined; // the top-level object never closed: a truncated body
}
