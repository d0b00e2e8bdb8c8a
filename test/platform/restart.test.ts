import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { getSqs } from "../../lib/queues/client";
import { startStack } from "../../local/stack";
import { apiClient, uniqueEmail } from "../support/api";

const dataDir = await mkdtemp(path.join(os.tmpdir(), "cogzy-restart-"));

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

// Each case boots the whole local stack (PostgreSQL, emulator, API) twice: on a busy 2-core machine one
// boot alone has taken 20 s, so the default 30 s is not enough.
const STACK_TWICE_MS = 120_000;

describe("the local stack across restarts", () => {
  it("keeps accounts, committed asynchronously, and starts again over a stale postmaster.pid left by a hard kill", async () => {
    const email = uniqueEmail("restart");
    const first = await startStack({ dataDir, port: 0, consumers: false });
    // Commits do not wait for the disk (local/postgres.ts): the sign-up below still survives the stop.
    const db = new pg.Client({ connectionString: first.databaseUrl });
    await db.connect();
    const { rows } = await db.query<{ synchronous_commit: string }>("SHOW synchronous_commit");
    await db.end();
    expect(rows[0]?.synchronous_commit).toBe("off");
    const signedUp = await apiClient(first.apiUrl).signUp(email, "survives a restart");
    expect(signedUp.status).toBe(201);
    await first.stop();

    // What a hard kill leaves behind: a lock file naming a process that no longer exists.
    const pidFile = path.join(dataDir, "postgres", "postmaster.pid");
    expect(existsSync(pidFile)).toBe(false);
    await writeFile(pidFile, "2147483\n/somewhere\n");

    const second = await startStack({ dataDir, port: 0, consumers: false });
    try {
      const login = await apiClient(second.apiUrl).logIn(email, "survives a restart");
      expect(login.status).toBe(200);
      expect(login.body.user_id).toBe(signedUp.body.user_id);
      const me = await apiClient(second.apiUrl).me(login.body.token);
      expect(me.body.vault.prefix).toBe(`users/${signedUp.body.user_id}`);
    } finally {
      await second.stop();
    }
  }, STACK_TWICE_MS);

  it("keeps queued messages, and hands back in-flight ones at once, across a restart", async () => {
    const first = await startStack({ dataDir, port: 0, consumers: false });
    const queueUrl = first.emulator.queues.embed.url;
    await getSqs().send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "queued" }));
    await getSqs().send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "in flight" }));
    // A consumer takes one message for 15 minutes, and its process dies with it.
    const taken = await getSqs().send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, VisibilityTimeout: 900 }));
    expect(taken.Messages).toHaveLength(1);
    await first.stop();

    const second = await startStack({ dataDir, port: 0, consumers: false });
    try {
      const bodies: string[] = [];
      await expect
        .poll(async () => {
          const answer = await getSqs().send(new ReceiveMessageCommand({ QueueUrl: second.emulator.queues.embed.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
          bodies.push(...(answer.Messages ?? []).map((message) => message.Body!));
          return [...bodies].sort();
        }, { timeout: 10_000 })
        .toEqual(["in flight", "queued"]);
    } finally {
      await second.stop();
    }
  }, STACK_TWICE_MS);

  it("refuses to start twice on the same data folder", async () => {
    const running = await startStack({ dataDir, port: 0, consumers: false });
    try {
      await writeFile(path.join(dataDir, "stack.pid"), String(process.ppid));
      await expect(startStack({ dataDir, port: 0, consumers: false })).rejects.toThrow(/already running/);
    } finally {
      await writeFile(path.join(dataDir, "stack.pid"), String(process.pid));
      await running.stop();
    }
  }, STACK_TWICE_MS);
});
