import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateChatGptExport } from "../../bench/generate-export";
import { readFile } from "node:fs/promises";
import { resetConfig } from "../../lib/config";
import { closeStore } from "../../lib/store/client";
import { apiClient, uniqueEmail } from "../support/api";
import { expectConsistent, readVault, uploadBytes, waitForUpload } from "../support/ingest";
import { startStackProcess, type StackProcess } from "../support/stack-process";

/**
 * The whole local stack in a child process, killed with SIGKILL while an upload is in one stage, then
 * started again on the same data: the upload must complete with the same vault as a clean run. Small
 * chunks make the embedding stage long enough to be caught in the middle.
 */
const env = { INGEST_CHUNK_SIZE: "16", INGEST_SPLIT_LEASE_SECONDS: "3" };
let dataDir: string;
let exportFile: Buffer;
let running: StackProcess | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "cogzy-kill-"));
  const file = path.join(dataDir, "export.json");
  await generateChatGptExport(file, 4 * 1024 * 1024, 5);
  exportFile = await readFile(file);
});

afterAll(async () => {
  await running?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function withDb<T>(stack: StackProcess, work: (db: pg.Pool) => Promise<T>): Promise<T> {
  const db = new pg.Pool({ connectionString: stack.databaseUrl, max: 1 });
  try {
    return await work(db);
  } finally {
    await db.end();
  }
}

async function signUpAndUpload(stack: StackProcess) {
  const api = apiClient(stack.apiUrl);
  const { body } = await api.signUp(uniqueEmail("kill"));
  return { token: body.token as string, userId: body.user_id as string, uploadId: await uploadBytes(api, body.token, "conversations.json", exportFile) };
}

async function vaultHashes(stack: StackProcess, userId: string) {
  // This process reads the child's store as its functions do.
  process.env.STORE_ENDPOINT = stack.emulatorUrl;
  resetConfig();
  closeStore();
  return withDb(stack, async (db) => {
    const vault = await readVault(db, userId);
    expectConsistent(vault);
    return vault.nodes.map((node) => node.hash).sort();
  });
}

/**
 * Where the upload is. Chunks are embedded while the split still runs, so "embedding" is any moment
 * chunks are being embedded: after the split (`embedding`), or during it once one is done; "parsing" is
 * the split before any chunk was embedded.
 */
const STAGE = "SELECT CASE WHEN state = 'parsing' AND chunks_done > 0 THEN 'embedding' ELSE state END AS stage FROM personal.vault_uploads WHERE id = $1";

describe("killing the local stack mid-pipeline", () => {
  let cleanHashes: string[];

  it("gives a clean run to compare against", async () => {
    running = await startStackProcess(dataDir, env);
    const { token, userId, uploadId } = await signUpAndUpload(running);
    expect(await waitForUpload(apiClient(running.apiUrl), token, uploadId, 120_000)).toMatchObject({ status: "complete" });
    cleanHashes = await vaultHashes(running, userId);
    expect(cleanHashes.length).toBeGreaterThan(500);
  }, 180_000);

  it.each(["parsing", "embedding", "merging"])("completes an upload killed while %s, with the same vault as a clean run", async (stage) => {
    const { token, userId, uploadId } = await signUpAndUpload(running!);
    const db = new pg.Pool({ connectionString: running!.databaseUrl, max: 1 });
    let seen: string | undefined;
    try {
      await expect
        .poll(async () => (seen = (await db.query(STAGE, [uploadId])).rows[0].stage), { timeout: 120_000, interval: 20 })
        .toBe(stage);
      await running!.kill();
      // The killed stack's PostgreSQL is still up: the upload is where the kill left it.
      expect((await db.query(STAGE, [uploadId])).rows[0].stage).toBe(stage);
    } finally {
      await db.end();
    }

    running = await startStackProcess(dataDir, env);
    const done = await waitForUpload(apiClient(running.apiUrl), token, uploadId, 120_000);

    expect(seen).toBe(stage);
    expect(done).toMatchObject({ status: "complete", error_message: null });
    expect(await vaultHashes(running, userId)).toEqual(cleanHashes);
  }, 300_000);
});
