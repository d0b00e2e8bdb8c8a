import { describe, expect, it } from "vitest";
import { getStore } from "../../lib/store/client";
import { abortMultipart, PART_URL_SECONDS } from "../../lib/uploads/presign";
import { uniqueEmail } from "../support/api";
import { drivePipeline, dropMessages } from "../support/drive";
import { chatgptExport, conversations } from "../support/exports";
import { expectConsistent, readVault, uploadBytes } from "../support/ingest";
import { useTestStack } from "../support/stack";
import { backdate as backdateUpload } from "../support/uploads";

/**
 * The scheduled sweeper against uploads stalled at each stage. Consumers are off: the pipeline is
 * driven by hand, so a lost message stays lost until the sweeper asks again.
 */
const ctx = useTestStack({ consumers: false });

const exportFile = chatgptExport(conversations("sweep", 100, 3));

const sweep = () => ctx.stack.schedules["sweep-stale-uploads"]!.runNow() as Promise<{ redriven: number; failed: number }>;

async function upload() {
  const { body } = await ctx.api.signUp(uniqueEmail("sweep"));
  const uploadId = await uploadBytes(ctx.api, body.token, "conversations.json", exportFile);
  // The B2 bridge announces the file to the ingest queue.
  await expect.poll(async () => (await ctx.stack.emulator.server.inspectQueue(ctx.stack.emulator.queues.ingest.name))?.messages.ready.length ?? 0).toBeGreaterThan(0);
  return { uploadId, token: body.token as string, userId: body.user_id as string };
}

const row = async (uploadId: string) => (await ctx.db.query("SELECT * FROM personal.vault_uploads WHERE id = $1", [uploadId])).rows[0];
const phaseIs = (uploadId: string, state: string) => async () => (await row(uploadId)).state === state;
const settled = (uploadId: string) => async () => ["complete", "failed"].includes((await row(uploadId)).state);

const backdate = (uploadId: string, seconds: number) => backdateUpload(ctx.db, uploadId, seconds);

describe("the stale-upload sweeper", () => {
  it("leaves alone uploads that are making progress", async () => {
    const { uploadId } = await upload();
    await drivePipeline(ctx.stack, phaseIs(uploadId, "embedding"), { only: ["ingest"] });

    expect(await sweep()).toEqual({ redriven: 0, failed: 0 });
    await dropMessages(ctx.stack, "embed");
  });

  it.each([
    ["its split died and its event was lost", "parsing"],
    ["its embed messages were lost", "embedding"],
    ["its merge request was lost", "merging"],
  ])("re-drives an upload when %s, and it completes with every memory", async (_case, stage) => {
    const { uploadId, userId } = await upload();
    if (stage === "parsing") {
      await dropMessages(ctx.stack, "ingest");
      // As a split that died after starting its attempt leaves it.
      await ctx.db.query("UPDATE personal.vault_uploads SET state = 'parsing', split_attempt = 1 WHERE id = $1", [uploadId]);
    } else {
      await drivePipeline(ctx.stack, phaseIs(uploadId, stage), { only: stage === "embedding" ? ["ingest"] : ["ingest", "embed"] });
      await dropMessages(ctx.stack, stage === "embedding" ? "embed" : "reduce");
    }
    await backdate(uploadId, 3600);

    expect(await sweep()).toEqual({ redriven: 1, failed: 0 });
    await drivePipeline(ctx.stack, settled(uploadId));

    expect(await row(uploadId)).toMatchObject({ state: "complete", nodes_created: 300, redrives: 1 });
    const vault = await readVault(ctx.db, userId);
    expectConsistent(vault);
    expect(vault.nodes).toHaveLength(300);
  });

  it("fails an upload re-driven too often, releasing its claims and its share of the quota", async () => {
    const { uploadId, token } = await upload();
    await drivePipeline(ctx.stack, phaseIs(uploadId, "embedding"), { only: ["ingest"] });
    await dropMessages(ctx.stack, "embed");
    // Counted as 60 MB in flight, the stalled upload leaves no room for a 50 MB file on the free plan.
    await ctx.db.query("UPDATE personal.vault_uploads SET redrives = 3, declared_bytes = 60 * 1024 * 1024 WHERE id = $1", [uploadId]);
    const ask = () => ctx.api.call("POST", "/api/personal/vault/uploads", { token, body: { filename: "next.json", size: 50 * 1024 * 1024 } });
    expect((await ask()).status).toBe(413);
    await backdate(uploadId, 3600);

    expect(await sweep()).toEqual({ redriven: 0, failed: 1 });

    const failed = await ctx.api.call("GET", `/api/personal/vault/upload/${uploadId}`, { token });
    expect(failed.body).toMatchObject({ status: "failed", error_message: expect.stringMatching(/stopped making progress while indexing your conversations.*upload the file again/) });
    const claims = await ctx.db.query("SELECT count(*)::int AS n FROM personal.vault_exchanges WHERE upload_id = $1", [uploadId]);
    expect(claims.rows[0].n).toBe(0);
    expect((await ask()).status).toBe(201);
  });

  it("fails an upload whose file never arrived once its upload link has expired", async () => {
    const { body } = await ctx.api.signUp(uniqueEmail("sweep"));
    const created = await ctx.api.call("POST", "/api/personal/vault/uploads", { token: body.token, body: { filename: "conversations.json", size: 1000 } });
    // Its 15-minute upload link may still be in use.
    await backdate(created.body.upload_id, 10 * 60);
    expect(await sweep()).toEqual({ redriven: 0, failed: 0 });

    await backdate(created.body.upload_id, 20 * 60);
    expect(await sweep()).toEqual({ redriven: 0, failed: 1 });

    expect(await row(created.body.upload_id)).toMatchObject({ state: "failed", error_message: expect.stringContaining("never arrived") });
  });

  it("aborts the multipart upload of a large file that never arrived, so its parts stop taking space in the store", async () => {
    const { body } = await ctx.api.signUp(uniqueEmail("sweep"));
    const plan = await ctx.api.call("POST", "/api/personal/vault/uploads", { token: body.token, body: { filename: "export.zip", size: 20 * 1024 * 1024 } });
    expect(plan.body).toMatchObject({ method: "multipart" });
    const part = plan.body.parts[0];
    expect((await fetch(part.url, { method: "PUT", body: new Uint8Array(part.size) })).status).toBe(200);
    const { object_key: key, multipart_id: multipartId } = await row(plan.body.upload_id);
    // Its part links last six hours.
    await backdate(plan.body.upload_id, PART_URL_SECONDS + 120);

    expect(await sweep()).toEqual({ redriven: 0, failed: 1 });

    expect(await row(plan.body.upload_id)).toMatchObject({ state: "failed", error_message: expect.stringContaining("never arrived") });
    await expect(abortMultipart(getStore(), key, multipartId)).rejects.toMatchObject({ name: "NoSuchUpload" });
  });
});
