import { describe, expect, it } from "vitest";
import { getStore } from "../../lib/store/client";
import { meteredStore } from "../../lib/store/metered";
import { buildZip } from "../exports/support/zip-writer";
import { uniqueEmail } from "../support/api";
import { drivePipeline, splitEvent, takeIngestEvent } from "../support/drive";
import { chatgptExport, conversations } from "../support/exports";
import { expectConsistent, readVault, uploadBytes } from "../support/ingest";
import { useTestStack } from "../support/stack";
import { uploadRow } from "../support/uploads";

/**
 * The split reads each upload once: the bytes it takes out of the store, counted as they cross into
 * the function, are the file's size for a bare JSON export, and for a zip only its central directory
 * and the entries imported — for the first upload of a file and for a re-upload of it alike.
 */
const ctx = useTestStack({ consumers: false });

const settled = (id: string) => async () => ["complete", "failed"].includes((await uploadRow(ctx.db, id)).state);

/** Uploads `bytes`, splits them through a metered store, and returns the bytes the split read. */
async function splitCounting(token: string, name: string, bytes: Buffer): Promise<{ id: string; read: number }> {
  const id = await uploadBytes(ctx.api, token, name, bytes);
  const event = await takeIngestEvent(ctx.stack, id);
  const { store, meter } = meteredStore(getStore());
  await splitEvent(event, { store });
  await drivePipeline(ctx.stack, settled(id));
  return { id, read: meter.read };
}

describe("the split reads each upload once", () => {
  it("a conversations.json: its size (and the 8 bytes that tell JSON from a zip), a re-upload of it too", async () => {
    const { body: user } = await ctx.api.signUp(uniqueEmail("read-once"));
    const json = chatgptExport(conversations("once", 150, 3));

    const first = await splitCounting(user.token, "conversations.json", json);
    const again = await splitCounting(user.token, "conversations.json", json);

    expect(await uploadRow(ctx.db, first.id)).toMatchObject({ state: "complete", nodes_created: 450 });
    expect(first.read).toBe(json.length + 8);
    expect(await uploadRow(ctx.db, again.id)).toMatchObject({ state: "complete", duplicate_of: first.id, nodes_created: 0, chunks_total: 0 });
    expect(again.read).toBe(json.length + 8);
    const vault = await readVault(ctx.db, user.user_id);
    expectConsistent(vault);
    expect(vault.nodes).toHaveLength(450);
  }, 120_000);

  it("an export zip: its central directory and conversations, never its photos, and a re-upload the same", async () => {
    const { body: user } = await ctx.api.signUp(uniqueEmail("read-once-zip"));
    const photos = Array.from({ length: 3 }, (_, i) => ({ name: `dalle-generations/${i}.webp`, data: Buffer.alloc(1024 * 1024, i + 1), method: "store" as const }));
    const text = chatgptExport(conversations("zipped", 150, 3));
    const zip = buildZip([...photos, { name: "conversations.json", data: text }]);
    const photoBytes = 3 * 1024 * 1024;

    const first = await splitCounting(user.token, "export.zip", zip);
    const again = await splitCounting(user.token, "export.zip", zip);

    expect(await uploadRow(ctx.db, first.id)).toMatchObject({ state: "complete", nodes_created: 450 });
    expect(await uploadRow(ctx.db, again.id)).toMatchObject({ state: "complete", duplicate_of: first.id, nodes_created: 0 });
    // Everything but the photos is at most what is left of the zip; the end-of-directory search reads
    // its last 64 KiB, the only range read twice.
    for (const { read } of [first, again]) {
      expect(read).toBeGreaterThan(zip.length - photoBytes - 1024);
      expect(read).toBeLessThanOrEqual(zip.length - photoBytes + 8 + 65_557);
    }
  }, 120_000);

  it("a different file of the same size is not taken for a re-upload", async () => {
    const { body: user } = await ctx.api.signUp(uniqueEmail("read-once-size"));
    const a = chatgptExport(conversations("aaaa", 20, 3));
    const b = chatgptExport(conversations("bbbb", 20, 3));
    expect(b.length).toBe(a.length);

    const first = await splitCounting(user.token, "conversations.json", a);
    const second = await splitCounting(user.token, "conversations.json", b);

    expect(await uploadRow(ctx.db, second.id)).toMatchObject({ state: "complete", duplicate_of: null, nodes_created: 60 });
    expect(second.read).toBe(b.length + 8);
    expect((await readVault(ctx.db, user.user_id)).nodes).toHaveLength(120);
    expect(first.read).toBe(a.length + 8);
  }, 120_000);
});
