import { createHash, randomBytes } from "node:crypto";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { createS3Client } from "../../lib/store/client";
import { objectBytes } from "../../lib/store/streams";
import { useEmulator } from "../support/emulator";

/** Which payload hash the S3 client signs with, where: the local store, and a plain-HTTP store elsewhere. */
const ctx = useEmulator();

/** The `x-amz-content-sha256` header of each request `client` sends from now on, after signing. */
function payloadHashes(client: S3Client, send: boolean): string[] {
  const seen: string[] = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      seen.push((args.request as { headers: Record<string, string> }).headers["x-amz-content-sha256"]!);
      if (!send) throw new Error("stopped before sending");
      return next(args);
    },
    { step: "deserialize", name: `payloadHashes${Math.random()}` },
  );
  return seen;
}

describe("store client", () => {
  it("sends in-memory bodies unsigned to the store on this machine, and the store keeps every byte", async () => {
    const client = createS3Client({ provider: "b2", endpoint: ctx.emulator.endpoint, region: "us-east-1", accessKeyId: "local", secretAccessKey: "local", bucket: "cogzy-test", forcePathStyle: true, publicEndpoint: undefined });
    const hashes = payloadHashes(client, true);
    const body = randomBytes(3 * 1024 * 1024 + 7);
    try {
      await client.send(new PutObjectCommand({ Bucket: "cogzy-test", Key: "client/unsigned.bin", Body: body }));
      expect(hashes).toEqual(["UNSIGNED-PAYLOAD"]);
      expect((await objectBytes({ ...ctx.store, client }, "client/unsigned.bin")).equals(body)).toBe(true);
    } finally {
      client.destroy();
    }
  });

  it("signs the body's SHA-256 when the store is reached over plain HTTP on another machine", async () => {
    const client = createS3Client({ provider: "s3", endpoint: "http://10.20.30.40:9000", region: "us-east-1", accessKeyId: "key", secretAccessKey: "secret", bucket: "b", forcePathStyle: true, publicEndpoint: undefined });
    const hashes = payloadHashes(client, false);
    try {
      await expect(client.send(new PutObjectCommand({ Bucket: "b", Key: "k", Body: "payload" }))).rejects.toThrow("stopped before sending");
      expect(hashes).toEqual([createHash("sha256").update("payload").digest("hex")]);
    } finally {
      client.destroy();
    }
  });
});
