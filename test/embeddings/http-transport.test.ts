import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { getHeapSnapshot } from "node:v8";
import { brotliCompressSync, deflateSync, gzipSync, zstdCompressSync } from "node:zlib";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createHttpEmbedder, createLocalEmbedder, dot, EmbedderError, type HttpEmbedder } from "../../lib/embeddings";

// Both HTTP clients the embedder can send through, against real servers on 127.0.0.1.
const reference = createLocalEmbedder();
const fastRetries = { baseDelayMs: 5, maxDelayMs: 20 };
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A server whose handler gets each request's parsed inputs; counts the connections it accepted. */
async function startServer(handle: (inputs: string[], res: ServerResponse, req: IncomingMessage) => void | Promise<void>) {
  const state = { connections: 0 };
  const server = createServer({ keepAliveTimeout: 65_000 }, async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const { input } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { input: string[] };
    await handle(input, res, req);
  });
  server.on("connection", () => state.connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, state };
}

/** A valid base64 answer for `inputs`, with the local embedder's vectors. */
async function answerFor(inputs: string[]): Promise<Buffer> {
  const vectors = await reference.embed(inputs);
  const data = vectors.map((v, index) => ({ object: "embedding", index, embedding: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") }));
  return Buffer.from(JSON.stringify({ object: "list", data, model: "BAAI/bge-m3" }));
}

function embedderFor(transport: "node:http" | "undici", url: string, options: { timeoutMs?: number; maxAttempts?: number } = {}): HttpEmbedder {
  const embedder = createHttpEmbedder({ baseUrl: url, transport, retry: fastRetries, ...options });
  closers.push(() => embedder.close());
  return embedder;
}

async function expectVectorsOf(vectors: Float32Array[], inputs: string[]): Promise<void> {
  const expected = await reference.embed(inputs);
  expect(vectors).toHaveLength(inputs.length);
  vectors.forEach((v, i) => expect(dot(v, expected[i]!)).toBeCloseTo(1, 5));
}

/**
 * Which of `needles` occur in a heap snapshot of this thread (taken after a full GC, so it holds only
 * strings still reachable). Streamed: a whole snapshot as one string could exceed V8's string limit.
 */
async function inHeapSnapshot(needles: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  const overlap = Math.max(...needles.map((needle) => needle.length));
  let tail = "";
  for await (const chunk of getHeapSnapshot()) {
    const text = tail + (chunk as Buffer).toString("utf8");
    for (const needle of needles) if (text.includes(needle)) found.add(needle);
    tail = text.slice(-overlap);
  }
  return found;
}

const compressors: Record<string, (bytes: Buffer) => Buffer> = { gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync, zstd: zstdCompressSync };

for (const transport of ["node:http", "undici"] as const) {
  describe(`HTTP embedder over ${transport}`, () => {
    for (const coding of ["gzip", "deflate", "br", "zstd", "gzip, br"]) {
      it(`reads an answer a proxy sent with content-encoding ${coding}`, async () => {
        const server = await startServer(async (inputs, res) => {
          // Applied in the order listed, as RFC 9110 section 8.4 says.
          const body = coding.split(", ").reduce((bytes, step) => compressors[step]!(bytes), await answerFor(inputs));
          res.writeHead(200, { "content-type": "application/json", "content-encoding": coding, "content-length": body.length });
          res.end(body);
        });
        const inputs = ["a compressed answer", "and another"];

        const vectors = await embedderFor(transport, server.url).embed(inputs);

        await expectVectorsOf(vectors, inputs);
      });
    }

    it("reports an answer in a coding it cannot read as a bad answer", async () => {
      const server = await startServer(async (inputs, res) => {
        const body = gzipSync(await answerFor(inputs));
        res.writeHead(200, { "content-type": "application/json", "content-encoding": "compress", "content-length": body.length });
        res.end(body);
      });

      const error = await embedderFor(transport, server.url).embed(["lzw"]).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(EmbedderError);
      expect((error as EmbedderError).code).toBe("embedder_bad_response");
    });

    it("keeps one connection alive for a worker's requests one after another", async () => {
      const server = await startServer(async (inputs, res) => {
        const body = await answerFor(inputs);
        res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
        res.end(body);
      });
      const embedder = embedderFor(transport, server.url);

      for (let i = 0; i < 5; i++) await expectVectorsOf(await embedder.embed([`request ${i}`]), [`request ${i}`]);

      expect(server.state.connections).toBe(1);
    });

    it("times out an answer that stalls after its headers and retries it on a fresh connection", async () => {
      let requests = 0;
      const server = await startServer(async (inputs, res) => {
        const body = await answerFor(inputs);
        res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
        if (++requests === 1) return void res.write(body.subarray(0, 100)); // then nothing, ever
        res.end(body);
      });

      const vectors = await embedderFor(transport, server.url, { timeoutMs: 300 }).embed(["stalls once"]);

      await expectVectorsOf(vectors, ["stalls once"]);
      expect(requests).toBe(2);
      expect(server.state.connections).toBe(2);
    });

    it("throws an API key the HTTP client refuses to send at once, without retrying", async () => {
      let requests = 0;
      const server = await startServer(() => void requests++);
      const embedder = createHttpEmbedder({ baseUrl: server.url, transport, apiKey: "key\nX-Injected: 1", retry: fastRetries });
      closers.push(() => embedder.close());

      const error = await embedder.embed(["a"]).catch((caught: unknown) => caught);

      expect((error as { code?: string }).code).toMatch(/INVALID/);
      expect(requests).toBe(0);
    });

    // undici's own request object keeps the body until the answer has come: defined for node:http only.
    if (transport === "node:http") it("lets go of a request's body while it waits for the answer", async () => {
      // A batch of 32 chat exchanges is a ~65 KB body: kept for the whole exchange, it was copied by
      // young-generation GCs and then promoted, once per request in flight.
      let received = false;
      const server = createServer((req) => {
        req.resume(); // read the body, never answer (and make no string of it here)
        req.on("end", () => void (received = true));
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      closers.push(async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      });
      const embedder = embedderFor(transport, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, { timeoutMs: 60_000, maxAttempts: 1 });
      const marker = `retention-${randomUUID()}`;
      const inputs = [`${marker} ${"words of a long exchange ".repeat(2000)}`];
      embedder.embed(inputs).catch(() => undefined); // ended by close() after the test
      await vi.waitFor(() => expect(received).toBe(true));

      // Snapshot strings are JSON-escaped: the body starts {\"model\":…,\"input\":[\"<marker>.
      const bodyNeedle = `\\"input\\":[\\"${marker}`;
      const found = await inHeapSnapshot([bodyNeedle, marker]);

      expect(found.has(marker)).toBe(true); // the text itself, still held here: the search works
      expect(found.has(bodyNeedle)).toBe(false);
    });

    it("retries an answer cut off by a dropped connection", async () => {
      let requests = 0;
      const server = await startServer(async (inputs, res) => {
        const body = await answerFor(inputs);
        res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
        if (++requests === 1) {
          res.write(body.subarray(0, 100));
          return void setImmediate(() => res.socket?.destroy());
        }
        res.end(body);
      });

      const vectors = await embedderFor(transport, server.url).embed(["cut once"]);

      await expectVectorsOf(vectors, ["cut once"]);
      expect(requests).toBe(2);
    });
  });
}
