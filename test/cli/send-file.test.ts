import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MultipartTarget } from "../../lib/api/contract";
import { sendFile } from "../../cli/send-file";

/** A store stand-in that keeps each part PUT's bytes and answers with their MD5 as the ETag, as S3 does. */
const received = new Map<string, Buffer>();
let server: http.Server;
let base: string;
let dir: string;

beforeAll(async () => {
  server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      received.set(request.url!, body);
      response.writeHead(200, { etag: `"${createHash("md5").update(body).digest("hex")}"` }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(path.join(os.tmpdir(), "cogzy-send-"));
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

function multipart(name: string, size: number, partSize: number): MultipartTarget {
  const count = Math.ceil(size / partSize);
  const parts = Array.from({ length: count }, (_, index) => ({ part_number: index + 1, size: Math.min(partSize, size - index * partSize), url: `${base}/${name}/${index + 1}` }));
  return { upload_id: name, key: name, method: "multipart", part_size: partSize, parts, expires_at: new Date(Date.now() + 60_000).toISOString() };
}

describe("sendFile (the CLI's upload of an export)", () => {
  it("sends each part's bytes, however many parts each sender reuses its buffer for", async () => {
    const bytes = randomBytes(9 * 1000 + 123);
    const file = path.join(dir, "export.json");
    await writeFile(file, bytes);

    const etags = await sendFile(file, bytes.length, multipart("whole", bytes.length, 1000), () => undefined);

    expect(etags.map((part) => part.part_number).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const sent = Buffer.concat(Array.from({ length: 10 }, (_, index) => received.get(`/whole/${index + 1}`)!));
    expect(sent.equals(bytes)).toBe(true);
    for (const { part_number, etag } of etags) expect(etag).toBe(`"${createHash("md5").update(received.get(`/whole/${part_number}`)!).digest("hex")}"`);
  });

  it("stops with a clear error, sending no padding, when the file got shorter after the upload was requested", async () => {
    const bytes = randomBytes(5000);
    const file = path.join(dir, "shrunk.json");
    await writeFile(file, bytes);
    const target = multipart("shrunk", bytes.length, 1000);
    await truncate(file, 4500);

    await expect(sendFile(file, bytes.length, target, () => undefined)).rejects.toThrow(/shorter than it was when the upload began/);
    expect(received.has("/shrunk/5")).toBe(false);
  });
});
