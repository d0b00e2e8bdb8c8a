import { type JsonElement, JsonElementScanner, type ScannerLimits } from "./json-element-scanner";

export type { JsonElement } from "./json-element-scanner";

/**
 * Streams the top-level elements of a JSON document (see {@link JsonElementScanner}), pulling the next
 * chunk only when the caller asks for more, so a slow consumer holds back the upload stream.
 */
export async function* readJsonElements(
  chunks: AsyncIterable<unknown>,
  options: { limits: ScannerLimits; wantKey?: (key: string) => boolean; onKey?: (key: string) => void; onBytes?: (bytes: number) => void },
): AsyncGenerator<JsonElement> {
  const scanner = new JsonElementScanner(options.limits, options.wantKey, options.onKey);
  for await (const chunk of chunks) {
    const bytes = asBuffer(chunk);
    options.onBytes?.(bytes.length);
    scanner.write(bytes);
    yield* drain(scanner.ready);
  }
  scanner.end();
  yield* drain(scanner.ready);
}

function* drain(ready: JsonElement[]): Generator<JsonElement> {
  yield* ready.splice(0);
}

function asBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === "string") return Buffer.from(chunk);
  const bytes = chunk as Uint8Array;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
