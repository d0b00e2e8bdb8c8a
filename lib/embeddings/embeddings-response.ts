import { isAscii } from "node:buffer";
import { z } from "zod";
import { dataItems } from "./data-items";
import { normaliseInPlace } from "./vector-math";

/**
 * One item of an OpenAI-compatible embeddings answer's `data`, the part we rely on. `embedding` is a
 * base64 string when the server honoured `encoding_format: "base64"`, a number array when it ignored it
 * (some Ollama and TEI versions do). `index` is optional because a few servers omit it; then items are
 * in input order.
 */
const embeddingItemSchema = z.object({
  embedding: z.union([z.string(), z.array(z.number())]),
  index: z.number().int().nonnegative().optional(),
});

type EmbeddingItem = z.infer<typeof embeddingItemSchema>;

/** An answer that parsed as HTTP success but is not the embeddings we asked for. */
export class InvalidEmbeddingsAnswer extends Error {}

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Decodes base64 little-endian float32s (the OpenAI `base64` encoding) into `vector`. */
function decodeBase64Floats(encoded: string, vector: Float32Array): void {
  const byteLength = Buffer.byteLength(encoded, "base64");
  if (byteLength !== vector.byteLength) {
    throw new InvalidEmbeddingsAnswer(`expected ${vector.length} dimensions, got a vector of ${byteLength / 4} (${byteLength} bytes)`);
  }
  if (littleEndianHost) {
    // Decode straight into the vector's memory: no temporary buffer, no copy. Characters outside the
    // base64 alphabet are skipped by the decoder, so a garbled string shows up as fewer bytes written.
    const written = Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).write(encoded, "base64");
    if (written !== byteLength) throw new InvalidEmbeddingsAnswer(`embedding is not valid base64 (${written} of ${byteLength} bytes decoded)`);
  } else {
    const bytes = Buffer.from(encoded, "base64");
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < vector.length; i++) vector[i] = view.getFloat32(i * 4, true);
  }
}

function decodeVector(embedding: string | number[], vector: Float32Array): void {
  if (typeof embedding === "string") return decodeBase64Floats(embedding, vector);
  if (embedding.length !== vector.length) throw new InvalidEmbeddingsAnswer(`expected ${vector.length} dimensions, got a vector of ${embedding.length}`);
  vector.set(embedding);
}

/** The bytes as a string: latin1 when they are ASCII (the same string, decoded several times faster), else UTF-8. */
export function bytesToText(bytes: Buffer): string {
  return isAscii(bytes) ? bytes.toString("latin1") : bytes.toString("utf8");
}

/** Why a body that `dataItems` could not split is not an embeddings answer (slow path: errors only). */
function describeUnsplittable(body: Buffer): string {
  const text = bytesToText(body);
  try {
    JSON.parse(text);
    return `the answer is not an embeddings list (no "data" array of objects): ${JSON.stringify(text.slice(0, 120))}`;
  } catch {
    return `the answer is not JSON (${body.length} bytes starting ${JSON.stringify(text.slice(0, 80))})`;
  }
}

function parseItem(bytes: Buffer, position: number): EmbeddingItem {
  let json: unknown;
  try {
    json = JSON.parse(bytesToText(bytes));
  } catch {
    throw new InvalidEmbeddingsAnswer(`data item ${position} is not JSON`);
  }
  const parsed = embeddingItemSchema.safeParse(json);
  if (!parsed.success) throw new InvalidEmbeddingsAnswer(`data item ${position} is not an embedding: ${z.prettifyError(parsed.error).slice(0, 300)}`);
  return parsed.data;
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const COMMA = 0x2c;
const COLON = 0x3a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * An item as servers write it, read without `JSON.parse`: a flat object, no whitespace, whose members are
 * strings without escapes and non-negative integers, e.g. `{"object":"embedding","index":3,"embedding":"…"}`.
 * Only the base64 text is turned into a string (JSON.parse would also build the object and copy every
 * string): at hundreds of answers a second that was the largest part of decoding. Anything else
 * (whitespace, escapes, nesting, number arrays, fractions) returns undefined and goes through
 * `JSON.parse` and the schema, as before. Strings are taken as bytes: a raw control character, which
 * JSON forbids in a string, is not looked for (in the vector, the length check catches anything that
 * is not base64).
 */
function flatItem(bytes: Buffer): EmbeddingItem | undefined {
  if (bytes[0] !== OPEN_BRACE || bytes[bytes.length - 1] !== CLOSE_BRACE) return undefined;
  let embedding: string | undefined;
  let index: number | undefined;
  let at = 1;
  while (at < bytes.length - 1) {
    if (bytes[at] !== QUOTE) return undefined;
    const keyEnd = bytes.indexOf(QUOTE, at + 1);
    if (keyEnd < 0 || keyEnd - at > 32 || bytes[keyEnd + 1] !== COLON) return undefined;
    const key = bytes.toString("latin1", at + 1, keyEnd);
    if (key.includes("\\")) return undefined;
    let valueEnd: number;
    const valueStart = keyEnd + 2;
    if (bytes[valueStart] === QUOTE) {
      valueEnd = bytes.indexOf(QUOTE, valueStart + 1);
      if (valueEnd < 0 || bytes.subarray(valueStart + 1, valueEnd).includes(BACKSLASH)) return undefined;
      if (key === "embedding") embedding = bytes.toString("latin1", valueStart + 1, valueEnd);
      else if (key === "index") return undefined;
      valueEnd += 1;
    } else {
      valueEnd = valueStart;
      while (bytes[valueEnd]! >= 0x30 && bytes[valueEnd]! <= 0x39) valueEnd++;
      // JSON numbers have no leading zeros; a fraction or exponent stops at the next check.
      if (valueEnd === valueStart || valueEnd - valueStart > 15 || (bytes[valueStart] === 0x30 && valueEnd - valueStart > 1)) return undefined;
      if (key === "index") index = Number(bytes.toString("latin1", valueStart, valueEnd));
      else if (key === "embedding") return undefined;
    }
    if (valueEnd === bytes.length - 1) break;
    // A comma must be followed by another member (the loop checks it starts with a quote).
    if (bytes[valueEnd] !== COMMA || valueEnd + 1 >= bytes.length - 1) return undefined;
    at = valueEnd + 1;
  }
  return embedding === undefined ? undefined : { embedding, index };
}

/**
 * Parses and checks one embeddings answer: one vector per input, each of length `dim`, finite and
 * non-zero; returns them in input order (by `index`), L2-normalised (bge-m3 servers normalise already,
 * other servers and models may not, and the `Embedder` contract promises unit vectors).
 * Throws `InvalidEmbeddingsAnswer` saying what is wrong.
 */
export function decodeEmbeddingsAnswer(body: Buffer, expectedCount: number, dim: number): Float32Array[] {
  const itemBytes = dataItems(body);
  if (itemBytes === undefined) throw new InvalidEmbeddingsAnswer(describeUnsplittable(body));
  if (itemBytes.length !== expectedCount) throw new InvalidEmbeddingsAnswer(`sent ${expectedCount} inputs, got ${itemBytes.length} embeddings`);
  const items = itemBytes.map((bytes, position) => flatItem(bytes) ?? parseItem(bytes, position));

  // One allocation per answer rather than one per vector: the vectors are views into a shared buffer.
  const slab = new Float32Array(expectedCount * dim);
  const vectors = new Array<Float32Array | undefined>(expectedCount);
  const useIndex = items.every((item) => item.index !== undefined);
  for (let position = 0; position < items.length; position++) {
    const item = items[position]!;
    const index = useIndex ? item.index! : position;
    if (index >= expectedCount || vectors[index] !== undefined) {
      throw new InvalidEmbeddingsAnswer(`embedding index ${index} is out of range or repeated (sent ${expectedCount} inputs)`);
    }
    const vector = slab.subarray(index * dim, (index + 1) * dim);
    decodeVector(item.embedding, vector);
    const norm = normaliseInPlace(vector);
    if (!(norm > 0 && Number.isFinite(norm))) {
      throw new InvalidEmbeddingsAnswer(`embedding ${index} is ${Number.isFinite(norm) ? "all zeros" : "not finite"}`);
    }
    vectors[index] = vector;
  }
  return vectors as Float32Array[];
}

/**
 * The human-readable message in a provider's error body: OpenAI and DeepInfra `{error: {message}}`,
 * TEI and Ollama `{error: "..."}`, FastAPI-style `{detail: ...}`; else the start of the raw text.
 */
export function providerErrorMessage(body: string): string {
  try {
    const json = JSON.parse(body) as { error?: unknown; detail?: unknown; message?: unknown };
    const error = json?.error;
    if (typeof error === "string") return error;
    if (error && typeof error === "object" && typeof (error as { message?: unknown }).message === "string") {
      return (error as { message: string }).message;
    }
    if (typeof json?.detail === "string") return json.detail;
    if (json?.detail !== undefined) return JSON.stringify(json.detail).slice(0, 500);
    if (typeof json?.message === "string") return json.message;
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return body.trim().slice(0, 500) || "(empty body)";
}
