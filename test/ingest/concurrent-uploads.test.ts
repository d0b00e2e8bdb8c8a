import { readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { generateChatGptExport } from "../../bench/generate-export";
import { fileByteSource, readExport } from "../../lib/exports";
import { signUp } from "../../lib/accounts/accounts";
import { getPool } from "../../lib/db/pool";
import { contentHash } from "../../lib/ingest/vault-nodes";
import { getStore } from "../../lib/store/client";
import { uniqueEmail } from "../support/api";
import { expectConsistent, readVault } from "../support/ingest";
import { useTestStack } from "../support/stack";

/**
 * Twenty uploads of one realistic export at once, through the whole local stack (API, presigned PUTs,
 * webhook, queues and their consumers at the manifest's concurrency, one shared database pool), as
 * one person double-clicking and as twenty people. Every request must succeed and every vault must
 * end with exactly the export's distinct exchanges.
 */
const ctx = useTestStack();
const file = path.join(os.tmpdir(), `cogzy-concurrent-${process.pid}.json`);
let bytes: Buffer;
let distinct: number;

beforeAll(async () => {
  await generateChatGptExport(file, 1.5 * 1024 * 1024, 23);
  bytes = await readFile(file);
  const hashes = new Set<string>();
  for await (const record of readExport(await fileByteSource(file))) hashes.add(contentHash(record).toString("hex"));
  distinct = hashes.size;
});

afterAll(async () => {
  await rm(file, { force: true });
});

/**
 * An API call, sent again if the connection was reset before any answer: under this much load on two
 * cores the client can reuse a keep-alive socket just as the local gateway closes it, and the request
 * never reached a handler (a browser retries those too). Any answer, 5xx included, is returned as is.
 */
async function call(...args: Parameters<typeof ctx.api.call>) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await ctx.api.call(...args);
    } catch (error) {
      const code = ((error as Error).cause as { code?: string } | undefined)?.code;
      if (code !== "ECONNRESET" || attempt === 3) throw error;
    }
  }
}

/** Every call the browser would make for one upload; answers that are not 2xx are collected, not thrown. */
async function uploadAndWait(token: string, errors: string[]) {
  const created = await call("POST", "/api/personal/vault/uploads", { token, body: { filename: "conversations.json", size: bytes.length } });
  if (created.status !== 201) return errors.push(`create ${created.status} ${JSON.stringify(created.body)}`), undefined;
  const put = await fetch(created.body.url, { method: "PUT", headers: created.body.headers, body: bytes });
  if (put.status !== 200) return errors.push(`put ${put.status}`), undefined;
  return vi.waitFor(
    async () => {
      const answer = await call("GET", `/api/personal/vault/upload/${created.body.upload_id}`, { token });
      if (answer.status !== 200) errors.push(`progress ${answer.status} ${JSON.stringify(answer.body)}`);
      if (answer.body?.status !== "complete" && answer.body?.status !== "failed") throw new Error(`upload still ${answer.body?.phase}`);
      return answer.body;
    },
    { timeout: 400_000, interval: 250 },
  );
}

describe("twenty uploads of one export at once", () => {
  it("by one person: all complete, and the vault holds each exchange exactly once", async () => {
    const { body: user } = await ctx.api.signUp(uniqueEmail("twenty"));
    const errors: string[] = [];

    const results = await Promise.all(Array.from({ length: 20 }, () => uploadAndWait(user.token, errors)));

    expect(errors).toEqual([]);
    expect(results.map((result) => result?.status)).toEqual(Array(20).fill("complete"));
    expect(results.reduce((sum, result) => sum + result!.nodes_created, 0)).toBe(distinct);
    const vault = await readVault(ctx.db, user.user_id);
    expectConsistent(vault);
    expect(vault.nodes).toHaveLength(distinct);
  }, 420_000);

  it("by twenty people: all complete, and each vault holds each exchange exactly once", async () => {
    // Twenty accounts from one address would meet the sign-up rate limit: they are made directly, one
    // after another (twenty password hashes at once on a loaded machine meet the hashing queue's 429).
    const accounts = { db: getPool(), store: getStore(), sessionTtlDays: 1 };
    const users: Array<{ token: string; user_id: string }> = [];
    for (let i = 0; i < 20; i += 1) {
      const account = await signUp(accounts, { email: uniqueEmail("crowd"), password: "a long enough passphrase" });
      users.push({ token: account.session.token, user_id: account.userId });
    }
    const errors: string[] = [];

    const results = await Promise.all(users.map((user) => uploadAndWait(user.token, errors)));

    expect(errors).toEqual([]);
    expect(results.map((result) => result?.status)).toEqual(Array(20).fill("complete"));
    for (const [index, user] of users.entries()) {
      expect(results[index]!.nodes_created).toBe(distinct);
      const vault = await readVault(ctx.db, user.user_id);
      expectConsistent(vault);
      expect(vault.nodes).toHaveLength(distinct);
    }
  }, 420_000);
});
