import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createEmbedder, createHttpEmbedder, createLocalEmbedder, dot, embedderIdentity, EmbedderError, type AttemptEvent, type HttpEmbedder, type HttpEmbedderOptions } from "../../lib/embeddings";
import { defaultStandInBehaviour, startEmbeddingStandIn, type EmbeddingStandIn } from "../../local/embedding-stand-in";

// One real stand-in server for the file; each test restores its behaviour and counters.
let standIn: EmbeddingStandIn;
const embedders: HttpEmbedder[] = [];
const reference = createLocalEmbedder();
const fastRetries = { baseDelayMs: 5, maxDelayMs: 20 };

function embedderFor(options: Partial<HttpEmbedderOptions> = {}): HttpEmbedder {
  const embedder = createHttpEmbedder({ baseUrl: standIn.url, retry: fastRetries, ...options });
  embedders.push(embedder);
  return embedder;
}

async function expectEmbedderError(promise: Promise<unknown>): Promise<EmbedderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EmbedderError);
  return error as EmbedderError;
}

const texts = (n: number) => Array.from({ length: n }, (_, i) => `exchange number ${i} about topic ${i % 7}`);

beforeAll(async () => {
  standIn = await startEmbeddingStandIn();
});
afterAll(async () => {
  await standIn.close();
});
beforeEach(() => {
  standIn.setBehaviour(defaultStandInBehaviour);
  standIn.resetStats();
});
afterEach(async () => {
  await Promise.all(embedders.splice(0).map((e) => e.close()));
});

describe("HTTP embedder: answers", () => {
  it("splits input into batches and returns vectors in input order", async () => {
    const input = texts(70);

    const vectors = await embedderFor({ batchSize: 32, maxInFlight: 3 }).embed(input);

    expect(standIn.stats().requests).toBe(3);
    expect(vectors).toHaveLength(70);
    const expected = await reference.embed(input);
    vectors.forEach((v, i) => expect(dot(v, expected[i]!)).toBeCloseTo(1, 5));
  });

  it("asks for base64, decodes little-endian float32s and returns unit vectors of dim", async () => {
    const [v] = await embedderFor().embed(["decode me"]);

    expect(standIn.stats().lastRequest?.encodingFormat).toBe("base64");
    expect(standIn.stats().lastRequest?.model).toBe("BAAI/bge-m3");
    expect(v!.length).toBe(1024);
    expect(dot(v!, v!)).toBeCloseTo(1, 5);
  });

  it("accepts float arrays from a server that ignores encoding_format", async () => {
    standIn.setBehaviour({ ignoreEncodingFormat: true });

    const [v] = await embedderFor().embed(["float answer"]);
    const [expected] = await reference.embed(["float answer"]);

    expect(dot(v!, expected!)).toBeCloseTo(1, 5);
  });

  it("reads an answer a proxy compressed without being asked", async () => {
    standIn.setBehaviour({ gzipAnswers: true });

    const [v] = await embedderFor().embed(["compressed"]);
    const [expected] = await reference.embed(["compressed"]);

    expect(dot(v!, expected!)).toBeCloseTo(1, 5);
  });

  it("works with a base URL ending in /v1, with or without a trailing slash", async () => {
    await embedderFor({ baseUrl: `${standIn.url}/v1/` }).embed(["a"]);
    await embedderFor({ baseUrl: `${standIn.url}/v1` }).embed(["b"]);
    await embedderFor({ baseUrl: `${standIn.url}/` }).embed(["c"]);

    expect(standIn.stats().outcomes.ok).toBe(3);
  });

  it("returns an empty list for no texts without calling the server", async () => {
    expect(await embedderFor().embed([])).toEqual([]);
    expect(standIn.stats().requests).toBe(0);
  });

  it("sends an empty text as a single space and gets a vector for it", async () => {
    const vectors = await embedderFor().embed(["", "not empty"]);

    expect(vectors).toHaveLength(2);
    expect(standIn.stats().lastRequest?.inputLengths).toEqual([1, 9]);
  });

  it("truncates a text longer than the model input instead of rejecting it", async () => {
    const long = "lorem ipsum dolor ".repeat(5_000);

    const [v] = await embedderFor({ maxInputChars: 10_000 }).embed([long]);

    expect(v!.length).toBe(1024);
    expect(standIn.stats().lastRequest?.inputLengths).toEqual([10_000]);
  });

  it("cuts harder and resends when the server still says the input is too long", async () => {
    standIn.setBehaviour({ maxInputChars: 5_000 });

    const [v] = await embedderFor({ maxInputChars: 16_000 }).embed(["x".repeat(30_000)]);

    expect(v!.length).toBe(1024);
    expect(standIn.stats().requests).toBe(3);
    expect(standIn.stats().lastRequest?.inputLengths).toEqual([4_000]);
  });

  it("sends the API key as a Bearer token when one is set", async () => {
    standIn.setBehaviour({ apiKey: "sk-test" });

    await embedderFor({ apiKey: "sk-test" }).embed(["authorised"]);

    expect(standIn.stats().lastRequest?.authorization).toBe("Bearer sk-test");
  });
});

describe("HTTP embedder: failures", () => {
  it("waits as long as Retry-After says after a 429, then succeeds", async () => {
    standIn.setBehaviour({ script: ["rate-limit"], retryAfterSeconds: 1 });
    const started = performance.now();

    const vectors = await embedderFor().embed(["retry me"]);

    expect(performance.now() - started).toBeGreaterThanOrEqual(1000);
    expect(vectors).toHaveLength(1);
    expect(standIn.stats().requests).toBe(2);
  });

  it("fails at once, naming the wait, when Retry-After is longer than it is willing to wait", async () => {
    standIn.setBehaviour({ script: ["rate-limit"], retryAfterSeconds: 120 });

    const error = await expectEmbedderError(embedderFor().embed(["later"]));

    expect(error.code).toBe("embedder_unavailable");
    expect(error.details?.retryAfterSeconds).toBe(120);
    expect(standIn.stats().requests).toBe(1);
  });

  it("retries a 500 and succeeds", async () => {
    standIn.setBehaviour({ script: ["server-error", "server-error"] });

    const vectors = await embedderFor().embed(["flaky"]);

    expect(vectors).toHaveLength(1);
    expect(standIn.stats().requests).toBe(3);
  });

  it("gives up after maxAttempts of persistent 500s with a clear error", async () => {
    standIn.setBehaviour({ rates: { "server-error": 1 } });

    const error = await expectEmbedderError(embedderFor({ maxAttempts: 4 }).embed(["down"]));

    expect(error.code).toBe("embedder_unavailable");
    expect(error.message).toMatch(/failed 4 attempts; last: HTTP 500: internal server error/);
    expect(error.status).toBe(503);
    expect(error.expose).toBe(false);
    expect(standIn.stats().requests).toBe(4);
  });

  it("fails fast on a non-retryable 4xx with the server's message", async () => {
    standIn.setBehaviour({ apiKey: "the-right-key" });

    const error = await expectEmbedderError(embedderFor({ apiKey: "a-wrong-key" }).embed(["x"]));

    expect(error.code).toBe("embedder_rejected");
    expect(error.message).toMatch(/HTTP 401: Invalid API key/);
    expect(standIn.stats().requests).toBe(1);
  });

  it("retries a garbled answer once and succeeds", async () => {
    standIn.setBehaviour({ script: ["malformed"] });

    const vectors = await embedderFor().embed(["garbled once"]);

    expect(vectors).toHaveLength(1);
    expect(standIn.stats().requests).toBe(2);
  });

  it("reports persistently garbled answers as a bad response after a few tries", async () => {
    standIn.setBehaviour({ rates: { malformed: 1 } });

    const error = await expectEmbedderError(embedderFor().embed(["garbled"]));

    expect(error.code).toBe("embedder_bad_response");
    expect(error.message).toMatch(/not JSON/);
    expect(standIn.stats().requests).toBe(3);
  });

  it("reports vectors of the wrong dimension as an error naming both lengths", async () => {
    standIn.setBehaviour({ rates: { "wrong-dimension": 1 } });

    const error = await expectEmbedderError(embedderFor().embed(["short vector"]));

    expect(error.code).toBe("embedder_bad_response");
    expect(error.message).toMatch(/expected 1024 dimensions, got a vector of 512/);
  });

  it("times out a request that hangs and retries it", async () => {
    standIn.setBehaviour({ script: ["hang"] });
    const started = performance.now();

    const vectors = await embedderFor({ timeoutMs: 300 }).embed(["hang once"]);

    expect(vectors).toHaveLength(1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
    expect(standIn.stats().requests).toBe(2);
  });

  it("retries when the server cannot be reached, then reports it unavailable", async () => {
    const closed = await startEmbeddingStandIn();
    const url = closed.url;
    await closed.close();

    const error = await expectEmbedderError(embedderFor({ baseUrl: url, maxAttempts: 2 }).embed(["nobody home"]));

    expect(error.code).toBe("embedder_unavailable");
    expect(error.message).toMatch(/network error/);
  });

  it("cancels requests and retries when the caller aborts", async () => {
    standIn.setBehaviour({ rates: { hang: 1 } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("ingest cancelled")), 100);

    await expect(embedderFor().embed(texts(5), { signal: controller.signal })).rejects.toThrow("ingest cancelled");
    await expect.poll(() => standIn.stats().active).toBe(0);
  });
});

/**
 * A server that answers with a valid base64 answer (the local embedder's vectors) sent in small pieces,
 * without a content-length (chunked transfer), optionally gzipped, as a streaming proxy might.
 */
async function startPiecewiseServer(options: { gzip: boolean; pieceBytes: number[] }): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const { input } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { input: string[] };
    const vectors = await reference.embed(input);
    const data = vectors.map((v, index) => ({ object: "embedding", index, embedding: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") }));
    const json = Buffer.from(JSON.stringify({ object: "list", data, model: "BAAI/bge-m3" }));
    const body = options.gzip ? gzipSync(json) : json;
    res.writeHead(200, { "content-type": "application/json", ...(options.gzip ? { "content-encoding": "gzip" } : {}) });
    for (let at = 0, piece = 0; at < body.length; piece++) {
      const size = options.pieceBytes[piece % options.pieceBytes.length]!;
      res.write(body.subarray(at, at + size));
      at += size;
      await new Promise((resolve) => setImmediate(resolve)); // let each piece leave as its own write
    }
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("HTTP embedder: answers sent in pieces", () => {
  for (const gzip of [false, true]) {
    it(`decodes a ${gzip ? "gzipped " : ""}chunked answer cut at odd places, twice over the same connection`, async () => {
      const server = await startPiecewiseServer({ gzip, pieceBytes: [1, 7, 4093, 2, 65_537, 13] });
      try {
        const embedder = embedderFor({ baseUrl: server.url, batchSize: 32 });
        const input = texts(40);

        const first = await embedder.embed(input);
        const second = await embedder.embed(input.slice(0, 3));

        const expected = await reference.embed(input);
        expect(first).toHaveLength(40);
        first.forEach((v, i) => expect(dot(v, expected[i]!)).toBeCloseTo(1, 5));
        expect(second).toHaveLength(3);
        second.forEach((v, i) => expect(dot(v, expected[i]!)).toBeCloseTo(1, 5));
      } finally {
        await Promise.all(embedders.splice(0).map((e) => e.close()));
        await server.close();
      }
    });
  }
});

describe("HTTP embedder: concurrency", () => {
  it("keeps at most maxInFlight requests open", async () => {
    standIn.setBehaviour({ latencyMs: 100 });

    await embedderFor({ batchSize: 2, maxInFlight: 3 }).embed(texts(30));

    expect(standIn.stats().requests).toBe(15);
    expect(standIn.stats().peakConcurrent).toBe(3);
  });

  it("stays under a provider concurrency limit shared by several embedders", async () => {
    standIn.setBehaviour({ latencyMs: 30, maxConcurrent: 4 });
    const workers = [1, 2].map(() => embedderFor({ batchSize: 4, maxInFlight: 2 }));

    await Promise.all(workers.map((w) => w.embed(texts(40))));

    expect(standIn.stats().peakConcurrent).toBeLessThanOrEqual(4);
    expect(standIn.stats().overConcurrencyLimit).toBe(0);
  });

  it("recovers from 429s when more requests are opened than the provider allows", async () => {
    standIn.setBehaviour({ latencyMs: 30, maxConcurrent: 2, retryAfterSeconds: null });

    // Backoff windows comparable to the server's latency, as in production (250 ms base vs ~300 ms requests).
    const embedder = embedderFor({ batchSize: 1, maxInFlight: 6, maxAttempts: 12, retry: { baseDelayMs: 30, maxDelayMs: 300 } });

    const vectors = await embedder.embed(texts(12));

    expect(vectors).toHaveLength(12);
    expect(standIn.stats().overConcurrencyLimit).toBeGreaterThan(0);
    expect(standIn.stats().peakConcurrent).toBeLessThanOrEqual(2);
  });
});

describe("HTTP embedder: timing", () => {
  it("reports each attempt with its time to the answer's headers, and the stand-in where its time went", async () => {
    standIn.setBehaviour({ latencyMs: 60, script: ["server-error", "ok"] });
    const events: AttemptEvent[] = [];
    const before = performance.timeOrigin + performance.now();

    await embedderFor({ onAttempt: (event) => events.push(event) }).embed(texts(3));
    const after = performance.timeOrigin + performance.now();

    expect(events.map((e) => [e.attempt, e.outcome, e.status])).toEqual([
      [1, "transient", 500],
      [2, "ok", undefined],
    ]);
    for (const event of events) {
      // The stand-in holds both answers 60 ms before their headers go out.
      expect(event.headersMs).toBeGreaterThanOrEqual(59);
      expect(event.headersMs).toBeLessThanOrEqual(event.durationMs);
    }
    // Only answers with vectors are timed; arrivals are absolute times comparable with this process's.
    const timing = standIn.stats().timing;
    expect(timing.answers).toBe(1);
    expect(timing.arrivedAt).toBeGreaterThan(before);
    expect(timing.arrivedAt).toBeLessThan(after);
    expect(timing.late).toBeGreaterThan(-2);
    expect(timing.late).toBeLessThan(after - before);
    expect(Math.min(timing.receiving, timing.answering, timing.flushing)).toBeGreaterThanOrEqual(0);
  });

  it("reports no time to headers when no answer came", async () => {
    standIn.setBehaviour({ script: ["hang"] });
    const events: AttemptEvent[] = [];

    await expectEmbedderError(embedderFor({ timeoutMs: 50, maxAttempts: 1, onAttempt: (event) => events.push(event) }).embed(texts(1)));

    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ outcome: "transient", headersMs: undefined });
    expect(standIn.stats().timing.answers).toBe(0);
  });
});

describe("createEmbedder", () => {
  it("makes the offline embedder for provider local", () => {
    expect(embedderIdentity(createEmbedder({ provider: "local" }))).toEqual({ embedder: "local", model: "local-hash-v1", dim: 1024 });
  });

  it("makes an HTTP embedder with bge-m3 defaults for provider http", async () => {
    const embedder = createEmbedder({ provider: "http", baseUrl: standIn.url }) as HttpEmbedder;
    embedders.push(embedder);

    expect(embedderIdentity(embedder)).toEqual({ embedder: "http", model: "BAAI/bge-m3", dim: 1024 });
    expect(await embedder.embed(["through the factory"])).toHaveLength(1);
  });

  it("refuses provider http without a base URL", () => {
    expect(() => createEmbedder({ provider: "http" })).toThrow(/needs baseUrl/);
  });
});

describe("closing an HTTP embedder", () => {
  it("ends calls still in flight with a clear error instead of leaving them hanging", async () => {
    standIn.setBehaviour({ rates: { hang: 1 } });
    const embedder = createHttpEmbedder({ baseUrl: standIn.url, retry: fastRetries });
    const call = expectEmbedderError(embedder.embed(texts(3)));
    await expect.poll(() => standIn.stats().active).toBe(1);

    await embedder.close();

    const error = await call;
    expect(error.message).toMatch(/was closed/);
    await expect(embedder.embed(["after close"])).rejects.toThrow(/was closed/);
  });
});
