import http from "node:http";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CorsRelay, startCorsRelay } from "../../local/store-cors-relay";

const credentials = { accessKeyId: "relay-test", secretAccessKey: "relay-test-secret" };
let relay: CorsRelay;

beforeAll(async () => {
  // A stand-in for the emulator's request listener: answers every request 200 once it has read the body.
  relay = await startCorsRelay({
    handle: (request, response) => {
      request.resume();
      request.on("end", () => response.end("stored"));
    },
    port: 0,
    credentials,
  });
});

afterAll(async () => {
  await relay.close();
});

async function presignedPut(key: string, body: Buffer): Promise<string> {
  const client = new S3Client({ endpoint: relay.url, region: "us-east-1", forcePathStyle: true, credentials });
  return getSignedUrl(client, new PutObjectCommand({ Bucket: "vaults", Key: key, ContentLength: body.length }), { expiresIn: 60 });
}

describe("the store relay", () => {
  it("tells clients how long it keeps an idle connection itself, not how long the emulator does", async () => {
    // It relayed the emulator's `Keep-Alive: timeout=72` while closing idle connections after Node's 5 s:
    // a PUT a few seconds after the previous request met ECONNRESET (seen in full test runs under load).
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const put = (key: string) =>
      new Promise<{ status: number; keepAlive: string; reused: boolean }>((resolve, reject) => {
        const body = Buffer.from("an export");
        void presignedPut(key, body).then((url) => {
          const request = http.request(url, { method: "PUT", agent, headers: { "content-length": body.length } }, (answer) => {
            answer.resume();
            answer.on("end", () => resolve({ status: answer.statusCode ?? 0, keepAlive: String(answer.headers["keep-alive"]), reused: request.reusedSocket }));
          });
          request.on("error", reject);
          request.end(body);
        }, reject);
      });
    try {
      const first = await put("users/a/uploads/one.json");
      const second = await put("users/a/uploads/two.json");

      expect(first).toMatchObject({ status: 200, reused: false });
      expect(first.keepAlive).toBe("timeout=65");
      expect(second).toMatchObject({ status: 200, reused: true });
    } finally {
      agent.destroy();
    }
  });
});
