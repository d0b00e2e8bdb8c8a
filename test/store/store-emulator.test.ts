import { createHash, randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { linkSync, lstatSync, mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { CompleteMultipartUploadCommand, CopyObjectCommand, CreateMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, UploadPartCommand, UploadPartCopyCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { objectRange } from "../../lib/store/ranged";
import { objectBytes } from "../../lib/store/streams";
import { createS3Client, type Store } from "../../lib/store/client";
import { startEmulator, type LocalEmulator } from "../../local/emulator";
import { linkRanges, bodiesBeingReceived, patchEmulatorStore, queuePersistence, removeDeadIncomingFolders, StoredBytes } from "../../local/emulator-store";
import { putBytes, useEmulator } from "../support/emulator";

/**
 * The local store's storage patches (local/emulator-store.ts): what S3 and B2 do, at the cost they do it.
 */
const ctx = useEmulator();
const MiB = 1024 * 1024;

const put = (key: string, body: Buffer) => putBytes(ctx.store, key, body);

describe("local store", () => {
  it("reads only the range a ranged GET asks for", async () => {
    const body = randomBytes(24 * MiB);
    await put("range/big.bin", body);
    const before = StoredBytes.bytesRead;

    const middle = await objectRange(ctx.store, "range/big.bin", 10 * MiB + 3, 1000);

    expect(middle.equals(body.subarray(10 * MiB + 3, 10 * MiB + 1003))).toBe(true);
    expect(StoredBytes.bytesRead - before).toBeLessThan(2 * MiB);
    expect((await objectBytes(ctx.store, "range/big.bin")).equals(body)).toBe(true);
  });

  it("composes an object from copied ranges and uploaded parts, keeping the bytes a copy saw", async () => {
    const source = randomBytes(12 * MiB);
    await put("compose/source.bin", source);
    const { UploadId } = await ctx.store.client.send(new CreateMultipartUploadCommand({ Bucket: ctx.store.bucket, Key: "compose/out.bin" }));
    const head = randomBytes(6 * MiB);
    const tail = randomBytes(1234);
    const one = await ctx.store.client.send(new UploadPartCommand({ Bucket: ctx.store.bucket, Key: "compose/out.bin", UploadId, PartNumber: 1, Body: head }));
    const two = await ctx.store.client.send(
      new UploadPartCopyCommand({ Bucket: ctx.store.bucket, Key: "compose/out.bin", UploadId, PartNumber: 2, CopySource: `${ctx.store.bucket}/compose/source.bin`, CopySourceRange: `bytes=${MiB}-${11 * MiB - 1}` }),
    );
    // Overwriting the source after the copy must not change what the copy holds (S3 copies at UploadPartCopy).
    await put("compose/source.bin", randomBytes(12 * MiB));
    const three = await ctx.store.client.send(new UploadPartCommand({ Bucket: ctx.store.bucket, Key: "compose/out.bin", UploadId, PartNumber: 3, Body: tail }));
    await ctx.store.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: ctx.store.bucket,
        Key: "compose/out.bin",
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: one.ETag }, { PartNumber: 2, ETag: two.CopyPartResult!.ETag }, { PartNumber: 3, ETag: three.ETag }] },
      }),
    );

    const out = await objectBytes(ctx.store, "compose/out.bin");

    expect(out.equals(Buffer.concat([head, source.subarray(MiB, 11 * MiB), tail]))).toBe(true);
  });

  it("appends to a copy of the source kept at the same offsets, as a new version of a file does", async () => {
    const previous = randomBytes(9 * MiB);
    await put("append/v1.bin", previous);
    const { UploadId } = await ctx.store.client.send(new CreateMultipartUploadCommand({ Bucket: ctx.store.bucket, Key: "append/v2.bin" }));
    const copied = await ctx.store.client.send(
      new UploadPartCopyCommand({ Bucket: ctx.store.bucket, Key: "append/v2.bin", UploadId, PartNumber: 1, CopySource: `${ctx.store.bucket}/append/v1.bin`, CopySourceRange: `bytes=0-${previous.length - 4}` }),
    );
    const added = Buffer.from("and the new rows\n");
    const last = await ctx.store.client.send(new UploadPartCommand({ Bucket: ctx.store.bucket, Key: "append/v2.bin", UploadId, PartNumber: 2, Body: added }));
    await ctx.store.client.send(
      new CompleteMultipartUploadCommand({ Bucket: ctx.store.bucket, Key: "append/v2.bin", UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: copied.CopyPartResult!.ETag }, { PartNumber: 2, ETag: last.ETag }] } }),
    );

    expect((await objectBytes(ctx.store, "append/v2.bin")).equals(Buffer.concat([previous.subarray(0, previous.length - 3), added]))).toBe(true);
    expect((await objectBytes(ctx.store, "append/v1.bin")).equals(previous)).toBe(true);
  });

  it("completes a new version without reading the bytes it copied from the previous one", async () => {
    // A vault's next nodes.npy: a new header in a part of exactly 5 MiB (the previous file's start
    // borrowed to fill it), the rest of the previous file copied at the same offset, then the new rows.
    const previous = randomBytes(24 * MiB);
    await put("clone/v1.npy", previous);
    const key = "clone/v2.npy";
    const { UploadId } = await ctx.store.client.send(new CreateMultipartUploadCommand({ Bucket: ctx.store.bucket, Key: key }));
    const head = Buffer.concat([Buffer.from("a new header"), previous.subarray(12, 5 * MiB)]);
    const added = randomBytes(MiB);
    const one = await ctx.store.client.send(new UploadPartCommand({ Bucket: ctx.store.bucket, Key: key, UploadId, PartNumber: 1, Body: head }));
    const two = await ctx.store.client.send(
      new UploadPartCopyCommand({ Bucket: ctx.store.bucket, Key: key, UploadId, PartNumber: 2, CopySource: `${ctx.store.bucket}/clone/v1.npy`, CopySourceRange: `bytes=${5 * MiB}-${previous.length - 1}` }),
    );
    const three = await ctx.store.client.send(new UploadPartCommand({ Bucket: ctx.store.bucket, Key: key, UploadId, PartNumber: 3, Body: added }));
    const readBefore = StoredBytes.bytesRead;

    await ctx.store.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: ctx.store.bucket,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: one.ETag }, { PartNumber: 2, ETag: two.CopyPartResult!.ETag }, { PartNumber: 3, ETag: three.ETag }] },
      }),
    );

    // The 19 MiB copy stays where it is, and so do the two uploaded parts.
    expect(StoredBytes.bytesRead - readBefore).toBe(0);
    expect((await objectBytes(ctx.store, key)).equals(Buffer.concat([head, previous.subarray(5 * MiB), added]))).toBe(true);
    expect((await objectBytes(ctx.store, "clone/v1.npy")).equals(previous)).toBe(true);
  });

  it("refuses a multipart upload whose part before the last is under 5 MiB, as S3 does", async () => {
    const { UploadId } = await ctx.store.client.send(new CreateMultipartUploadCommand({ Bucket: ctx.store.bucket, Key: "small/out.bin" }));
    const one = await ctx.store.client.send(new UploadPartCommand({ Bucket: ctx.store.bucket, Key: "small/out.bin", UploadId, PartNumber: 1, Body: randomBytes(1000) }));
    const two = await ctx.store.client.send(new UploadPartCommand({ Bucket: ctx.store.bucket, Key: "small/out.bin", UploadId, PartNumber: 2, Body: randomBytes(1000) }));

    const completing = ctx.store.client.send(
      new CompleteMultipartUploadCommand({ Bucket: ctx.store.bucket, Key: "small/out.bin", UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: one.ETag }, { PartNumber: 2, ETag: two.ETag }] } }),
    );

    await expect(completing).rejects.toMatchObject({ name: "EntityTooSmall" });
  });

  it("takes a browser's presigned part PUTs into files as they arrive, each answered with the MD5 of its bytes as its ETag", async () => {
    // 12 MiB: over the 11 MiB fauxqs collects in memory for one request body, within S3's 5 GiB part limit.
    const parts = [randomBytes(12 * MiB), randomBytes(777)];
    const key = "streamed/out.bin";
    const { UploadId } = await ctx.store.client.send(new CreateMultipartUploadCommand({ Bucket: ctx.store.bucket, Key: key }));
    const etags = await Promise.all(
      parts.map(async (body, index) => {
        const url = await getSignedUrl(ctx.store.presignClient, new UploadPartCommand({ Bucket: ctx.store.bucket, Key: key, UploadId, PartNumber: index + 1, ContentLength: body.length }));
        const answer = await fetch(url, { method: "PUT", body });
        expect(answer.status, await answer.clone().text()).toBe(200);
        return answer.headers.get("etag")!;
      }),
    );

    expect(etags).toEqual(parts.map((body) => `"${createHash("md5").update(body).digest("hex")}"`));
    await ctx.store.client.send(
      new CompleteMultipartUploadCommand({ Bucket: ctx.store.bucket, Key: key, UploadId, MultipartUpload: { Parts: etags.map((ETag, index) => ({ PartNumber: index + 1, ETag })) } }),
    );
    expect((await objectBytes(ctx.store, key)).equals(Buffer.concat(parts))).toBe(true);
  });

  it("writes a browser's equal-sized parts at their places as they arrive, so completing the upload copies only the rest", async () => {
    const parts = [randomBytes(6 * MiB), randomBytes(6 * MiB), randomBytes(6 * MiB), randomBytes(MiB + 5)];
    const key = "streamed/in-place.bin";
    const { UploadId } = await ctx.store.client.send(new CreateMultipartUploadCommand({ Bucket: ctx.store.bucket, Key: key }));
    // Last part first, then the others out of order, as parallel senders deliver them.
    const etags: string[] = [];
    for (const index of [3, 2, 0, 1]) etags[index] = await presignedPart(key, UploadId!, index + 1, parts[index]!);

    const readBefore = StoredBytes.bytesRead;
    await complete(key, UploadId!, etags.map((ETag, index) => ({ PartNumber: index + 1, ETag })));

    expect(StoredBytes.bytesRead - readBefore).toBe(parts[3]!.length);
    expect((await objectBytes(ctx.store, key)).equals(Buffer.concat(parts))).toBe(true);
  });

  it("keeps a part sent again and parts listed after a gap in their place in the object", async () => {
    const parts = [randomBytes(6 * MiB), randomBytes(6 * MiB), randomBytes(6 * MiB), randomBytes(6 * MiB), randomBytes(777)];
    const again = randomBytes(6 * MiB);
    const key = "streamed/gap.bin";
    const { UploadId } = await ctx.store.client.send(new CreateMultipartUploadCommand({ Bucket: ctx.store.bucket, Key: key }));
    const etags = await Promise.all(parts.map((body, index) => presignedPart(key, UploadId!, index + 1, body)));
    etags[1] = await presignedPart(key, UploadId!, 2, again);

    // Part 3 is left out: parts 4 and 5 move up by its length.
    await complete(key, UploadId!, [1, 2, 4, 5].map((number) => ({ PartNumber: number, ETag: etags[number - 1]! })));

    expect((await objectBytes(ctx.store, key)).equals(Buffer.concat([parts[0]!, again, parts[3]!, parts[4]!]))).toBe(true);
  });

  it("answers NoSuchUpload to a part PUT for an upload that does not exist, keeping none of its bytes", async () => {
    const url = await getSignedUrl(ctx.store.presignClient, new UploadPartCommand({ Bucket: ctx.store.bucket, Key: "streamed/none.bin", UploadId: "no-such-upload", PartNumber: 1 }));
    const answer = await fetch(url, { method: "PUT", body: randomBytes(MiB) });

    expect(answer.status).toBe(404);
    expect(await answer.text()).toContain("NoSuchUpload");
    expect(bodiesBeingReceived()).toEqual([]);
  });

  it("takes a PutObject's bytes into a file as they arrive: answered with their MD5 as its ETag, its metadata kept, nothing left behind", async () => {
    // 24 MiB in one PUT: over the 11 MiB fauxqs collects in memory for one request body, within S3's 5 GiB.
    const body = randomBytes(24 * MiB);
    const key = "streamed/whole.bin";
    const answer = await ctx.store.client.send(
      new PutObjectCommand({ Bucket: ctx.store.bucket, Key: key, Body: body, ContentType: "application/x-npy", CacheControl: "no-store", Metadata: { rows: "42" } }),
    );

    expect(answer.ETag).toBe(`"${createHash("md5").update(body).digest("hex")}"`);
    expect((await objectBytes(ctx.store, key)).equals(body)).toBe(true);
    const head = await ctx.store.client.send(new HeadObjectCommand({ Bucket: ctx.store.bucket, Key: key }));
    expect(head).toMatchObject({ ContentLength: body.length, ETag: answer.ETag, ContentType: "application/x-npy", CacheControl: "no-store", Metadata: { rows: "42" } });
    expect(bodiesBeingReceived()).toEqual([]);

    // Replaced by a smaller object through a presigned URL, as a browser sends a small export.
    const smaller = randomBytes(3000);
    const url = await getSignedUrl(ctx.store.presignClient, new PutObjectCommand({ Bucket: ctx.store.bucket, Key: key, ContentLength: smaller.length }));
    const presigned = await fetch(url, { method: "PUT", body: smaller });
    expect(presigned.status, await presigned.clone().text()).toBe(200);
    expect(presigned.headers.get("etag")).toBe(`"${createHash("md5").update(smaller).digest("hex")}"`);
    expect((await objectBytes(ctx.store, key)).equals(smaller)).toBe(true);
    expect(bodiesBeingReceived()).toEqual([]);
  });

  it("removes the incoming folders of emulators that ended without removing them, and only those", async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), "incoming-"));
    try {
      const ended = spawnSync(process.execPath, ["-e", ""]).pid!;
      const folders = {
        ended: `cogzy-emulator-parts-${ended}-a1b2c3`,
        running: `cogzy-emulator-parts-${process.pid}-d4e5f6`,
        unnamedRecent: "cogzy-emulator-parts-g7h8i9",
        unnamedOld: "cogzy-emulator-parts-j0k1l2",
        other: `other-${ended}-m3n4o5`,
      };
      for (const name of Object.values(folders)) {
        mkdirSync(path.join(tmp, name));
        writeFileSync(path.join(tmp, name, "1.part"), "bytes");
      }
      const twoDaysAgo = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);
      utimesSync(path.join(tmp, folders.unnamedOld), twoDaysAgo, twoDaysAgo);

      expect(removeDeadIncomingFolders(tmp).sort()).toEqual([folders.ended, folders.unnamedOld].sort());
      expect(readdirSync(tmp).sort()).toEqual([folders.running, folders.unnamedRecent, folders.other].sort());
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });

  it("answers NoSuchBucket to a PutObject into a bucket that does not exist, keeping none of its bytes", async () => {
    const put = ctx.store.client.send(new PutObjectCommand({ Bucket: "no-such-bucket", Key: "streamed/none.bin", Body: randomBytes(MiB) }));

    await expect(put).rejects.toMatchObject({ name: "NoSuchBucket" });
    expect(bodiesBeingReceived()).toEqual([]);
  });

  it("stores a body's bytes as sent whatever its content type, including those of the SQS and SNS APIs", async () => {
    // Not UTF-8: every byte value, lone continuation bytes, a truncated sequence.
    const body = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, byte) => byte)), Buffer.from([0x80, 0xbf, 0xc3, 0xff, 0xfe, 0xe2, 0x82]), randomBytes(2 * MiB)]);
    for (const contentType of ["application/x-www-form-urlencoded", "application/x-amz-json-1.0", "text/plain; charset=utf-8", "application/json", "application/octet-stream"]) {
      const key = `types/${contentType.replace(/[^a-z]/g, "-")}.bin`;
      await ctx.store.client.send(new PutObjectCommand({ Bucket: ctx.store.bucket, Key: key, Body: body, ContentType: contentType }));

      expect((await objectBytes(ctx.store, key)).equals(body), contentType).toBe(true);
      expect((await ctx.store.client.send(new HeadObjectCommand({ Bucket: ctx.store.bucket, Key: key }))).ContentType).toBe(contentType);
    }
  });
});

describe("local queues", () => {
  it("commit a message without syncing the disk each time, as SQLite's WAL mode allows (synchronous NORMAL)", async () => {
    await patchEmulatorStore();
    const PersistenceManager = await queuePersistence();
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "cogzy-queues-"));
    const { db } = new PersistenceManager(dataDir);
    try {
      // 1 is NORMAL, 2 (SQLite's default) FULL: https://www.sqlite.org/pragma.html#pragma_synchronous
      expect(db.prepare("PRAGMA synchronous").get()).toEqual({ synchronous: 1 });
      expect(db.prepare("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    } finally {
      db.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe("local store across a restart", () => {
  it("completes an upload whose parts were placed before the emulator restarted, a part sent again after it included", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "cogzy-store-restart-"));
    const key = "streamed/restarted.bin";
    const parts = [randomBytes(6 * MiB), randomBytes(6 * MiB), randomBytes(999)];
    const again = randomBytes(6 * MiB);
    let emulator = await startEmulator({ dataDir, port: 0, bucket: "cogzy-test", messageSpies: false });
    let store = storeOf(emulator);
    try {
      const { UploadId } = await store.client.send(new CreateMultipartUploadCommand({ Bucket: store.bucket, Key: key }));
      const etags = [await presignedPart(key, UploadId!, 1, parts[0]!, store), await presignedPart(key, UploadId!, 2, parts[1]!, store)];
      store.client.destroy();
      await emulator.stop();

      emulator = await startEmulator({ dataDir, port: 0, bucket: "cogzy-test", messageSpies: false });
      store = storeOf(emulator);
      etags[1] = await presignedPart(key, UploadId!, 2, again, store);
      etags[2] = await presignedPart(key, UploadId!, 3, parts[2]!, store);
      await store.client.send(new CompleteMultipartUploadCommand({ Bucket: store.bucket, Key: key, UploadId, MultipartUpload: { Parts: etags.map((ETag, index) => ({ PartNumber: index + 1, ETag })) } }));

      expect((await objectBytes(store, key)).equals(Buffer.concat([parts[0]!, again, parts[2]!]))).toBe(true);
    } finally {
      store.client.destroy();
      await emulator.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("still holds an object PUT before the restart, with its ETag and metadata", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "cogzy-store-restart-"));
    const body = randomBytes(2 * MiB + 7);
    let emulator = await startEmulator({ dataDir, port: 0, bucket: "cogzy-test", messageSpies: false });
    let store = storeOf(emulator);
    try {
      const put = await store.client.send(new PutObjectCommand({ Bucket: store.bucket, Key: "kept/one.bin", Body: body, ContentType: "application/x-ndjson", Metadata: { chunk: "7" } }));
      store.client.destroy();
      await emulator.stop();

      emulator = await startEmulator({ dataDir, port: 0, bucket: "cogzy-test", messageSpies: false });
      store = storeOf(emulator);

      expect((await objectBytes(store, "kept/one.bin")).equals(body)).toBe(true);
      expect(await store.client.send(new HeadObjectCommand({ Bucket: store.bucket, Key: "kept/one.bin" }))).toMatchObject({
        ContentLength: body.length,
        ETag: put.ETag,
        ContentType: "application/x-ndjson",
        Metadata: { chunk: "7" },
      });
    } finally {
      store.client.destroy();
      await emulator.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe("local store composing versions of a file", () => {
  it("keeps a new version's copied bytes where they are: the disk grows by the new bytes only, through versions, deletes and a restart", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "cogzy-store-composed-"));
    let emulator = await startEmulator({ dataDir, port: 0, bucket: "cogzy-test", messageSpies: false });
    let store = storeOf(emulator);
    try {
      const v1 = randomBytes(24 * MiB);
      await putBytes(store, "versions/v1.npy", v1);
      // Each version as the vault's writer makes nodes.npy: a new header in a first part of 5 MiB (the
      // previous file's start borrowed to fill it), the rest of the previous file copied, then new rows.
      const nextVersion = async (from: string, previous: Buffer, to: string, header: string) => {
        const head = Buffer.concat([Buffer.from(header), previous.subarray(header.length, 5 * MiB)]);
        const added = randomBytes(MiB + 17);
        const { UploadId } = await store.client.send(new CreateMultipartUploadCommand({ Bucket: store.bucket, Key: to }));
        const one = await store.client.send(new UploadPartCommand({ Bucket: store.bucket, Key: to, UploadId, PartNumber: 1, Body: head }));
        const two = await store.client.send(
          new UploadPartCopyCommand({ Bucket: store.bucket, Key: to, UploadId, PartNumber: 2, CopySource: `${store.bucket}/${from}`, CopySourceRange: `bytes=${5 * MiB}-${previous.length - 1}` }),
        );
        const three = await store.client.send(new UploadPartCommand({ Bucket: store.bucket, Key: to, UploadId, PartNumber: 3, Body: added }));
        const parts = [{ PartNumber: 1, ETag: one.ETag }, { PartNumber: 2, ETag: two.CopyPartResult!.ETag }, { PartNumber: 3, ETag: three.ETag }];
        await store.client.send(new CompleteMultipartUploadCommand({ Bucket: store.bucket, Key: to, UploadId, MultipartUpload: { Parts: parts } }));
        return Buffer.concat([head, previous.subarray(5 * MiB), added]);
      };
      const before = diskBytes(dataDir);
      const v2 = await nextVersion("versions/v1.npy", v1, "versions/v2.npy", "header two");
      // v3 copies a range of v2 that spans v1's bytes and v2's own.
      const v3 = await nextVersion("versions/v2.npy", v2, "versions/v3.npy", "header three");

      // Two versions of ~26 MiB each took ~6 MiB each: their own first and last parts.
      expect(diskBytes(dataDir) - before).toBeLessThan(16 * MiB);
      expect((await objectBytes(store, "versions/v2.npy")).equals(v2)).toBe(true);
      expect((await objectBytes(store, "versions/v3.npy")).equals(v3)).toBe(true);
      expect((await objectBytes(store, "versions/v1.npy")).equals(v1)).toBe(true);
      // Ranges across the places where one version's bytes end and the next one's begin.
      for (const [start, length] of [[5 * MiB - 10, 20], [v1.length - 100, 200], [v2.length - 5, 10], [0, v3.length]] as const) {
        expect((await objectRange(store, "versions/v3.npy", start, length)).equals(v3.subarray(start, start + length)), `${start}+${length}`).toBe(true);
      }

      await store.client.send(new DeleteObjectCommand({ Bucket: store.bucket, Key: "versions/v1.npy" }));
      await store.client.send(new DeleteObjectCommand({ Bucket: store.bucket, Key: "versions/v2.npy" }));
      store.client.destroy();
      await emulator.stop();
      emulator = await startEmulator({ dataDir, port: 0, bucket: "cogzy-test", messageSpies: false });
      store = storeOf(emulator);

      expect((await store.client.send(new HeadObjectCommand({ Bucket: store.bucket, Key: "versions/v3.npy" }))).ContentLength).toBe(v3.length);
      expect((await objectBytes(store, "versions/v3.npy")).equals(v3)).toBe(true);
      // A store that stopped while composing an object (its folder made, the object not yet in place)
      // drops that folder when it starts again.
      const composed = path.join(dataDir, "objects", "buckets", "cogzy-test", "objects", "%composed");
      const [kept] = readdirSync(composed);
      const orphan = path.join(composed, "left-by-a-crash");
      mkdirSync(orphan);
      for (const name of readdirSync(path.join(composed, kept!))) linkSync(path.join(composed, kept!, name), path.join(orphan, name));
      store.client.destroy();
      await emulator.stop();
      emulator = await startEmulator({ dataDir, port: 0, bucket: "cogzy-test", messageSpies: false });
      store = storeOf(emulator);
      expect(readdirSync(composed)).toEqual([kept]);
      expect((await objectBytes(store, "versions/v3.npy")).equals(v3)).toBe(true);

      await store.client.send(new CopyObjectCommand({ Bucket: store.bucket, Key: "versions/copy.npy", CopySource: `${store.bucket}/versions/v3.npy` }));
      expect((await objectBytes(store, "versions/copy.npy")).equals(v3)).toBe(true);
      const replaced = randomBytes(MiB);
      await putBytes(store, "versions/v3.npy", replaced);
      expect((await objectBytes(store, "versions/v3.npy")).equals(replaced)).toBe(true);

      // Once no object holds them, the versions' bytes are gone from the disk (at the latest when the
      // store starts again: a deleted object's ranges stay a minute for the reads already under way).
      await store.client.send(new DeleteObjectCommand({ Bucket: store.bucket, Key: "versions/v3.npy" }));
      await store.client.send(new DeleteObjectCommand({ Bucket: store.bucket, Key: "versions/copy.npy" }));
      store.client.destroy();
      await emulator.stop();
      emulator = await startEmulator({ dataDir, port: 0, bucket: "cogzy-test", messageSpies: false });
      store = storeOf(emulator);
      expect(diskBytes(dataDir)).toBeLessThan(before - 20 * MiB);
    } finally {
      store.client.destroy();
      await emulator.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe("linking the ranges of a composed object", () => {
  it("copies each range of a file it cannot link into a file of that range's own, keeping the bytes", async () => {
    // /dev/shm is another file system than the temp folder, so a hard link across them fails (EXDEV).
    const source = path.join("/dev/shm", `cogzy-link-${process.pid}.bin`);
    const target = await mkdtemp(path.join(os.tmpdir(), "cogzy-link-"));
    const bytes = randomBytes(3 * MiB);
    writeFileSync(source, bytes);
    try {
      let links = 0;
      const linked = linkRanges(
        new StoredBytes([
          { file: source, start: 2 * MiB, end: 3 * MiB },
          { file: source, start: 10, end: MiB },
        ]),
        () => path.join(target, `${links++}.data`),
      );

      expect(linked.readAllSync().equals(Buffer.concat([bytes.subarray(2 * MiB), bytes.subarray(10, MiB)]))).toBe(true);
      expect(linked.ranges.every((range) => !range.file.startsWith("/dev/shm"))).toBe(true);
    } finally {
      rmSync(source, { force: true });
      await rm(target, { recursive: true, force: true });
    }
  });
});

describe("local store reading a composed object while it is deleted", () => {
  it("lets a GET that started before the delete read the whole object", async () => {
    // 16 MiB of its own first, so the GET has opened only that file when the delete comes.
    const head = randomBytes(16 * MiB);
    const source = randomBytes(8 * MiB);
    await put("deleted/source.bin", source);
    const key = "deleted/composed.bin";
    const { UploadId } = await ctx.store.client.send(new CreateMultipartUploadCommand({ Bucket: ctx.store.bucket, Key: key }));
    const one = await ctx.store.client.send(new UploadPartCommand({ Bucket: ctx.store.bucket, Key: key, UploadId, PartNumber: 1, Body: head }));
    const two = await ctx.store.client.send(new UploadPartCopyCommand({ Bucket: ctx.store.bucket, Key: key, UploadId, PartNumber: 2, CopySource: `${ctx.store.bucket}/deleted/source.bin` }));
    await complete(key, UploadId!, [{ PartNumber: 1, ETag: one.ETag! }, { PartNumber: 2, ETag: two.CopyPartResult!.ETag! }]);
    await ctx.store.client.send(new DeleteObjectCommand({ Bucket: ctx.store.bucket, Key: "deleted/source.bin" }));

    const answer = await ctx.store.client.send(new GetObjectCommand({ Bucket: ctx.store.bucket, Key: key }));
    const chunks: Buffer[] = [];
    const reading = (answer.Body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    chunks.push((await reading.next()).value as Buffer);
    await ctx.store.client.send(new DeleteObjectCommand({ Bucket: ctx.store.bucket, Key: key }));
    for (let next = await reading.next(); !next.done; next = await reading.next()) chunks.push(next.value as Buffer);

    expect(Buffer.concat(chunks).equals(Buffer.concat([head, source]))).toBe(true);
  });
});

describe("local store composing a long chain of versions", () => {
  it("stays readable when the chain is written out whole, every version after it included", async () => {
    // Each version is the previous one copied whole plus a few new bytes: one more range per version,
    // past the most a composed object keeps.
    let expected = randomBytes(5 * MiB);
    await put("chain/v0.bin", expected);
    for (let version = 1; version <= 265; version++) {
      const key = `chain/v${version}.bin`;
      const added = Buffer.from(`version ${version}\n`);
      const { UploadId } = await ctx.store.client.send(new CreateMultipartUploadCommand({ Bucket: ctx.store.bucket, Key: key }));
      const copied = await ctx.store.client.send(new UploadPartCopyCommand({ Bucket: ctx.store.bucket, Key: key, UploadId, PartNumber: 1, CopySource: `${ctx.store.bucket}/chain/v${version - 1}.bin` }));
      const last = await ctx.store.client.send(new UploadPartCommand({ Bucket: ctx.store.bucket, Key: key, UploadId, PartNumber: 2, Body: added }));
      await complete(key, UploadId!, [{ PartNumber: 1, ETag: copied.CopyPartResult!.ETag! }, { PartNumber: 2, ETag: last.ETag! }]);
      await ctx.store.client.send(new DeleteObjectCommand({ Bucket: ctx.store.bucket, Key: `chain/v${version - 1}.bin` }));
      expected = Buffer.concat([expected, added]);
      if (version % 50 === 0 || version > 250) expect((await objectBytes(ctx.store, key)).equals(expected), key).toBe(true);
    }
    expect((await objectRange(ctx.store, "chain/v265.bin", 5 * MiB - 3, 40)).equals(expected.subarray(5 * MiB - 3, 5 * MiB + 37))).toBe(true);
  });
});

/** Bytes the files under `dir` take on the disk, each file once however many names it has. */
function diskBytes(dir: string): number {
  const seen = new Set<string>();
  let total = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const stat = lstatSync(path.join(entry.parentPath, entry.name));
    if (!stat.isFile() || seen.has(`${stat.dev}:${stat.ino}`)) continue;
    seen.add(`${stat.dev}:${stat.ino}`);
    total += stat.blocks * 512;
  }
  return total;
}

function storeOf(emulator: LocalEmulator): Store {
  const client = createS3Client({ provider: "s3", endpoint: emulator.endpoint, region: "us-east-1", accessKeyId: "local", secretAccessKey: "local", bucket: "cogzy-test", forcePathStyle: true, publicEndpoint: undefined });
  return { client, presignClient: client, bucket: "cogzy-test" };
}

async function presignedPart(key: string, uploadId: string, partNumber: number, body: Buffer, store = ctx.store): Promise<string> {
  const url = await getSignedUrl(store.presignClient, new UploadPartCommand({ Bucket: store.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, ContentLength: body.length }));
  const answer = await fetch(url, { method: "PUT", body });
  expect(answer.status, await answer.clone().text()).toBe(200);
  expect(answer.headers.get("etag")).toBe(`"${createHash("md5").update(body).digest("hex")}"`);
  return answer.headers.get("etag")!;
}

async function complete(key: string, uploadId: string, parts: { PartNumber: number; ETag: string }[]): Promise<void> {
  await ctx.store.client.send(new CompleteMultipartUploadCommand({ Bucket: ctx.store.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
}
