import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { brotliCompressSync, deflateSync, gzipSync, zstdCompressSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
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
