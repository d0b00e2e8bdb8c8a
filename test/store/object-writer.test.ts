import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { meteredStore } from "../../lib/store/metered";
import { createObjectWriter } from "../../lib/store/object-writer";
import { objectBytes } from "../../lib/store/streams";
import { putBytes, useEmulator } from "../support/emulator";

const ctx = useEmulator();
const MiB = 1024 * 1024;

const put = (key: string, body: Buffer) => putBytes(ctx.store, key, body);

describe("object writer", () => {
  it("appends new bytes to a copy of an object, moving only the new bytes through the function", async () => {
    const previous = randomBytes(40 * MiB);
    await put("writer/v1.bin", previous);
    const { store, meter } = meteredStore(ctx.store);
    const added = randomBytes(3 * MiB);

    const writer = createObjectWriter(store, "writer/v2.bin", { contentType: "application/octet-stream" });
    await writer.copy("writer/v1.bin", 0, previous.length - 100);
    await writer.write(added);
    const written = await writer.end();

    expect((await objectBytes(ctx.store, "writer/v2.bin")).equals(Buffer.concat([previous.subarray(0, previous.length - 100), added]))).toBe(true);
    expect(written).toMatchObject({ bytes: previous.length - 100 + added.length, copied: previous.length - 100, read: 0, uploaded: added.length });
    expect(meter).toEqual({ read: 0, written: added.length });
  });

  it("tops new bytes up to a whole part from the range that follows, then copies the rest", async () => {
    const source = randomBytes(20 * MiB);
    await put("writer/source.bin", source);
    const header = Buffer.from("a new header");

    const writer = createObjectWriter(ctx.store, "writer/topped.bin", { contentType: "application/octet-stream" });
    await writer.write(header);
    await writer.copy("writer/source.bin", 100, source.length);
    await writer.write("tail");
    const written = await writer.end();

    const expected = Buffer.concat([header, source.subarray(100), Buffer.from("tail")]);
    expect((await objectBytes(ctx.store, "writer/topped.bin")).equals(expected)).toBe(true);
    expect(written.read).toBe(5 * MiB - header.length);
    expect(written.copied).toBe(source.length - 100 - written.read);
  });

  it("reads a range too short to be a part through the function", async () => {
    const source = randomBytes(3 * MiB);
    await put("writer/short.bin", source);

    const writer = createObjectWriter(ctx.store, "writer/from-short.bin", { contentType: "application/octet-stream" });
    await writer.copy("writer/short.bin", 0, source.length);
    await writer.write("!");
    const written = await writer.end();

    expect((await objectBytes(ctx.store, "writer/from-short.bin")).equals(Buffer.concat([source, Buffer.from("!")]))).toBe(true);
    expect(written).toMatchObject({ copied: 0, read: source.length });
  });

  it("writes what it cannot copy from the bytes the caller holds, reading nothing back from the store", async () => {
    const short = randomBytes(3 * MiB);
    const long = randomBytes(12 * MiB);
    await put("writer/held-short.bin", short);
    await put("writer/held-long.bin", long);
    const { store, meter } = meteredStore(ctx.store);

    const writer = createObjectWriter(store, "writer/from-held.bin", { contentType: "application/octet-stream" });
    await writer.write("head");
    await writer.copy("writer/held-long.bin", 10, long.length, long.subarray(10));
    await writer.copy("writer/held-short.bin", 0, short.length, short);
    await writer.copy("writer/held-long.bin", 0, long.length, long);
    const written = await writer.end();

    expect((await objectBytes(ctx.store, "writer/from-held.bin")).equals(Buffer.concat([Buffer.from("head"), long.subarray(10), short, long]))).toBe(true);
    // "head" topped up to a part from the bytes held, the short range written from them and topped up
    // from the next range's; the rest copied.
    const toppedUp = [5 * MiB - 4, 5 * MiB - short.length];
    expect(written).toMatchObject({ read: 0, uploaded: 4 + toppedUp[0]! + short.length + toppedUp[1]!, copied: long.length - 10 - toppedUp[0]! + long.length - toppedUp[1]! });
    expect(meter.read).toBe(0);
    await expect(createObjectWriter(store, "writer/held-wrong.bin", { contentType: "application/octet-stream" }).copy("writer/held-short.bin", 0, 10, short)).rejects.toThrow(/bytes held/);
  });

  it("writes large new content in parts and small content as one object", async () => {
    const large = randomBytes(19 * MiB);
    const writer = createObjectWriter(ctx.store, "writer/large.bin", { contentType: "application/octet-stream" });
    for (let at = 0; at < large.length; at += 3 * MiB + 7) await writer.write(large.subarray(at, Math.min(large.length, at + 3 * MiB + 7)));
    await writer.end();
    const small = createObjectWriter(ctx.store, "writer/small.json", { contentType: "application/json" });
    await small.write("[]");
    await small.end();

    expect((await objectBytes(ctx.store, "writer/large.bin")).equals(large)).toBe(true);
    expect((await objectBytes(ctx.store, "writer/small.json")).toString()).toBe("[]");
  });

  it("writes a part's buffer again only once that part is uploaded, however slowly the store takes parts", async () => {
    const content = randomBytes(70 * MiB);
    // Each part's upload answers late, so most parts are in flight while later ones are gathered.
    const slow = new Proxy(ctx.store.client, {
      get(target, prop, receiver) {
        if (prop === "send") {
          return async (command: { constructor: { name: string } }, ...rest: unknown[]) => {
            if (command.constructor.name === "UploadPartCommand") await new Promise((resolve) => setTimeout(resolve, 50));
            return (target.send as (...args: unknown[]) => Promise<unknown>)(command, ...rest);
          };
        }
        const value = Reflect.get(target, prop, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const writer = createObjectWriter({ ...ctx.store, client: slow }, "writer/reused.bin", { contentType: "application/octet-stream" });
    for (let at = 0; at < content.length; at += 1_600_000) await writer.write(content.subarray(at, Math.min(content.length, at + 1_600_000)));
    const written = await writer.end();

    expect(written.uploaded).toBe(content.length);
    expect((await objectBytes(ctx.store, "writer/reused.bin")).equals(content)).toBe(true);
  });

  it("sends every part on flush, so end only completes the object, and takes no bytes after it", async () => {
    const content = randomBytes(13 * MiB + 5);
    const { store, meter } = meteredStore(ctx.store);
    const writer = createObjectWriter(store, "writer/flushed.bin", { contentType: "application/octet-stream" });
    await writer.write(content);

    await writer.flush();
    // Every byte is in the store's parts by now; nothing is visible at the key until end().
    expect(meter.written).toBe(content.length);
    await expect(objectBytes(ctx.store, "writer/flushed.bin")).rejects.toThrow();
    await expect(writer.write("more")).rejects.toThrow(/written after flush/);
    const written = await writer.end();

    expect(written).toMatchObject({ bytes: content.length, uploaded: content.length });
    expect(meter.written).toBe(content.length);
    expect((await objectBytes(ctx.store, "writer/flushed.bin")).equals(content)).toBe(true);
    const small = createObjectWriter(ctx.store, "writer/flushed-small.json", { contentType: "application/json" });
    await small.write("[1]");
    await small.flush();
    await small.end();
    expect((await objectBytes(ctx.store, "writer/flushed-small.json")).toString()).toBe("[1]");
  });

  it("leaves nothing at the key when it fails", async () => {
    const writer = createObjectWriter(ctx.store, "writer/failed.bin", { contentType: "application/octet-stream" });
    await writer.write(randomBytes(9 * MiB));

    await expect(writer.copy("writer/does-not-exist.bin", 0, 20 * MiB)).rejects.toThrow();
    await expect(objectBytes(ctx.store, "writer/failed.bin")).rejects.toThrow();
  });
});
