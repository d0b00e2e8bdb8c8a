import net from "node:net";
import os from "node:os";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { describe, expect, it } from "vitest";
import { getConfig } from "../../lib/config";
import { getStore } from "../../lib/store/client";
import { getJson } from "../../lib/store/objects";
import { uniqueEmail } from "../support/api";
import { useTestStack } from "../support/stack";

const ctx = useTestStack({ consumers: false });

/** This machine's addresses other than loopback: what another host on the network would connect to. */
const externalAddresses = Object.values(os.networkInterfaces())
  .flat()
  .filter((address) => address && !address.internal && !address.address.startsWith("fe80:"))
  .map((address) => address!.address);

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 2_000 });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

const portOf = (url: string) => Number(new URL(url).port);

async function newUpload(filename = "conversations.json", size = 16) {
  const { body } = await ctx.api.signUp(uniqueEmail("store"));
  const created = await ctx.api.call("POST", "/api/personal/vault/uploads", { token: body.token, body: { filename, size } });
  expect(created.status).toBe(201);
  return { user: body, upload: created.body };
}

describe("the local stack's network exposure", () => {
  it("listens on 127.0.0.1 only: emulator, store port, API and PostgreSQL", async () => {
    const ports = {
      emulator: ctx.stack.emulator.port,
      store: portOf(ctx.stack.storeEndpoint),
      api: portOf(ctx.stack.apiUrl),
      postgres: portOf(ctx.stack.databaseUrl.replace("postgres:", "http:")),
    };

    expect(new URL(ctx.stack.emulator.server.address).hostname).toBe("127.0.0.1");
    for (const [name, port] of Object.entries(ports)) {
      expect(await connects("127.0.0.1", port), `${name} on loopback`).toBe(true);
      for (const address of externalAddresses) expect(await connects(address, port), `${name} on ${address}`).toBe(false);
    }
  });
});

describe("the store port browsers upload to", () => {
  it("refuses a presigned URL whose path was changed to another user's vault.json, and keeps that file", async () => {
    const victim = await newUpload();
    const attacker = await newUpload();
    const victimManifest = `users/${victim.user.user_id}/vault.json`;
    const before = await getJson(getStore(), victimManifest);
    const tampered = new URL(attacker.upload.url);
    tampered.pathname = `/${getConfig().store.bucket}/${victimManifest}`;

    const put = await fetch(tampered, { method: "PUT", headers: attacker.upload.headers, body: "x".repeat(16) });

    expect(put.status).toBe(403);
    expect(await put.text()).toContain("SignatureDoesNotMatch");
    expect(await getJson(getStore(), victimManifest)).toEqual(before);
  });

  it("accepts the URL as issued, for exactly the bytes it was signed for", async () => {
    const { upload } = await newUpload();

    const longer = await fetch(upload.url, { method: "PUT", headers: upload.headers, body: "x".repeat(17) });
    const exact = await fetch(upload.url, { method: "PUT", headers: upload.headers, body: "x".repeat(16) });

    expect(longer.status).toBe(403);
    expect(exact.status).toBe(200);
  });

  it("refuses an expired URL", async () => {
    const config = getConfig().store;
    const signer = new S3Client({
      region: config.region,
      endpoint: ctx.stack.storeEndpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: config.accessKeyId!, secretAccessKey: config.secretAccessKey! },
    });
    const url = await getSignedUrl(signer, new PutObjectCommand({ Bucket: config.bucket, Key: "users/x/uploads/y/late.json", ContentLength: 2 }), {
      expiresIn: 60,
      signingDate: new Date(Date.now() - 10 * 60_000),
      signableHeaders: new Set(["content-length"]),
    });

    const put = await fetch(url, { method: "PUT", body: "{}" });

    expect(put.status).toBe(403);
    expect(await put.text()).toContain("expired");
  });

  it("refuses requests that carry no presigned signature: listing the bucket, reading or writing a vault", async () => {
    const { user } = await newUpload();
    const bucket = `${ctx.stack.storeEndpoint}/${getConfig().store.bucket}`;

    const list = await fetch(`${bucket}?list-type=2`);
    const read = await fetch(`${bucket}/users/${user.user_id}/vault.json`);
    const write = await fetch(`${bucket}/users/${user.user_id}/vault.json`, { method: "PUT", body: "{}" });
    const signedWithoutLength = await fetch(`${bucket}/users/${user.user_id}/vault.json?X-Amz-Signature=00`, { method: "PUT", body: "{}" });

    for (const answer of [list, read, write, signedWithoutLength]) expect(answer.status).toBe(403);
  });

  it("still answers the browser's CORS preflight", async () => {
    const { upload } = await newUpload();

    const preflight = await fetch(upload.url, {
      method: "OPTIONS",
      headers: { origin: "http://localhost:3000", "access-control-request-method": "PUT", "access-control-request-headers": "content-type" },
    });

    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-methods")).toContain("PUT");
  });
});
