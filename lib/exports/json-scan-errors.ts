import { ExportFormatError } from "./export-format-error";
import { parseJsonBytes } from "./json-pieces";

/**
 * How the JSON scanner fails, in words for the person who uploaded the file. Parsing helpers live here
 * too because their only job beyond `JSON.parse` is turning its SyntaxError into one of these.
 */
const QUOTE = 0x22;

/** Nothing but whitespace (or nothing at all). */
export function emptyFile(): ExportFormatError {
  return new ExportFormatError("empty_file", "This file is empty.");
}

/** The input ended inside the top-level array or object: usually an interrupted download. */
export function truncated(bytes: number): ExportFormatError {
  return new ExportFormatError(
    "truncated_json",
    "This file ends too early: it looks cut off, perhaps by an interrupted download. Please download the export again.",
    { details: { bytes } },
  );
}

/** `JSON.parse` of one element's bytes (in pieces when it is large: see json-pieces.ts); a SyntaxError becomes `invalid_json`. */
export function parseElement(bytes: Buffer, offset: number): unknown {
  try {
    return parseJsonBytes(bytes);
  } catch (error) {
    throw invalidJson(offset, undefined, error);
  }
}

/** A member name's raw bytes (escapes included) as a string. */
export function decodeKey(bytes: Buffer, offset: number): string {
  try {
    return JSON.parse(`"${bytes.toString("utf8")}"`) as string;
  } catch (error) {
    throw invalidJson(offset, undefined, error);
  }
}

/** The first byte is not `[` or `{`: a web page, a bare JSON value, or not JSON at all. */
export function notAContainer(byte: number): ExportFormatError {
  if (byte === 0x3c) {
    return new ExportFormatError(
      "not_json",
      "This looks like a web page (such as chat.html), not the export's data. Upload the whole export .zip, or its conversations.json.",
    );
  }
  const jsonScalarStart = byte === QUOTE || byte === 0x2d || (byte >= 0x30 && byte <= 0x39) || byte === 0x74 || byte === 0x66 || byte === 0x6e;
  if (jsonScalarStart) {
    return new ExportFormatError("unknown_format", "This file is not a chat export we recognise: expected ChatGPT, Claude, Grok or Gemini data.");
  }
  return new ExportFormatError("not_json", "This file is not a chat export: it is neither a .zip nor JSON data.");
}

/** Broken JSON in the middle of the file (the byte offset goes in `details`, not the message). */
export function invalidJson(offset: number, reason = "Part of it is not valid JSON.", cause?: unknown): ExportFormatError {
  return new ExportFormatError("invalid_json", `This file is damaged and cannot be read. ${reason}`, {
    cause,
    details: { offset },
  });
}

/** Nesting beyond the limit: refused before it can exhaust a stack or the heap. */
export function tooDeep(offset: number, maxDepth: number): ExportFormatError {
  return new ExportFormatError(
    "too_deeply_nested",
    `This file is nested more than ${maxDepth} levels deep, which no chat export is. It cannot be read.`,
    { details: { offset, maxDepth } },
  );
}
