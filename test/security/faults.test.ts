import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { getConfig, resetConfig } from "../../lib/config";
import { closeStore, getStore } from "../../lib/store/client";
import { getJson } from "../../lib/store/objects";
import { signB2Body } from "../../lib/webhooks/b2-signature";
import { uniqueEmail } from "../support/api";
import { startCuttableProxy, type CuttableProxy } from "../support/cuttable-proxy";
import { chatgptExport, conversations } from "../support/exports";
import { expectConsistent, readVault, uploadBytes, waitForUpload } from "../support/ingest";
import { useTestStack } from "../support/stack";

const ctx = useTestStack();
let store: CuttableProxy;

// The functions reach the store through a relay the tests can cut; queues and the browser's store
// port stay as they are, so only the store is unreachable.
beforeAll(async () => {
  store = await startCuttableProxy(ctx.stack.emulator.endpoint);
  process.env.STORE_ENDPOINT = store.url;
  resetConfig();
  closeStore();
});
afterAll(async () => {
  await store?.close();
});

async function newUser() {
  const { body } = await ctx.api.signUp(uniqueEmail("faults"));
  return { token: body.token as string, userId: body.user_id as string };
}

const queueDepth = async (name: string) => {
  const queue = await ctx.stack.emulator.server.inspectQueue(name);
  return (queue?.messages.ready.length ?? 0) + (queue?.messages.inflight.length ?? 0) + (queue?.messages.delayed.length ?? 0);
};

describe("the store unreachable", () => {
  it("during sign-up: the account is made, and its vault is written once the store is back", async () => {
    store.cut();
    const signUp = await ctx.api.signUp(uniqueEmail("offline"));
    const meWhileDown = await ctx.api.me(signUp.body.token);
    store.restore();

    expect(signUp.status).toBe(201);
    expect(meWhileDown.status).toBe(200);
    expect(await getJson(getStore(), `users/${signUp.body.user_id}/vault.json`)).toBeUndefined();
    expect((await ctx.api.me(signUp.body.token)).status).toBe(200);
    expect(await getJson(getStore(), `users/${signUp.body.user_id}/vault.json`)).toMatchObject({ user_id: signUp.body.user_id });
  });

  it("while an upload is processed, and back before its retries run out: the upload completes, every memory once", async () => {
    const user = await newUser();
    store.cut();

    const uploadId = await uploadBytes(ctx.api, user.token, "conversations.json", chatgptExport(conversations("outage", 4, 3)));
    await vi.waitFor(() => expect(store.refused).toBeGreaterThan(0), { timeout: 30_000 });
    store.restore();

    const done = await waitForUpload(ctx.api, user.token, uploadId, 90_000);
    expect(done).toMatchObject({ status: "complete", nodes_created: 12 });
    const vault = await readVault(ctx.db, user.userId);
    expectConsistent(vault);
    expect(vault.nodes).toHaveLength(12);
  });

  it("for longer than the retries: the upload fails with a message a person understands, the vault keeps what it had", async () => {
    const user = await newUser();
    await waitForUpload(ctx.api, user.token, await uploadBytes(ctx.api, user.token, "first.json", chatgptExport(conversations("kept", 2, 2))));
    // The merge's function goes on after the upload is complete (deleting its work files): cut the store
    // once it has returned, or that merge fails too and its retries log errors this test does not expect.
    await vi.waitFor(() => expect(ctx.stack.pollers.reduce!.stats().inFlight).toBe(0), { timeout: 30_000, interval: 50 });
    const before = await readVault(ctx.db, user.userId);
    store.cut();

    const uploadId = await uploadBytes(ctx.api, user.token, "second.json", chatgptExport(conversations("lost", 3, 2)));
    // Keep the store away until the ingest queue has given up on the message (or its upload failed).
    const deadLetters = ctx.stack.emulator.queues.ingest.dlqUrl.split("/").at(-1)!;
    await vi.waitFor(
      async () => {
        const { rows } = await ctx.db.query("SELECT state FROM personal.vault_uploads WHERE id = $1", [uploadId]);
        expect((await queueDepth(deadLetters)) > 0 || rows[0].state === "failed").toBe(true);
      },
      { timeout: 60_000, interval: 250 },
    );
    store.restore();

    const failed = await waitForUpload(ctx.api, user.token, uploadId, 60_000);
    expect(failed.status).toBe("failed");
    expect(failed.error_message).toMatch(/upload the file again/i);
    const after = await readVault(ctx.db, user.userId);
    expect(after.nodes).toEqual(before.nodes);
    expectConsistent(after);
  });
});

describe("an event ahead of its file", () => {
  it("leaves the upload waiting for its file, which is then processed as usual", async () => {
    const user = await newUser();
    const bytes = chatgptExport(conversations("early", 2, 2));
    const created = await ctx.api.call("POST", "/api/personal/vault/uploads", { token: user.token, body: { filename: "conversations.json", size: bytes.length } });
    const body = JSON.stringify({
      events: [
        {
          bucketName: getConfig().store.bucket,
          eventId: randomUUID(),
          eventType: "b2:ObjectCreated:Upload",
          eventTimestamp: Date.now(),
          objectName: created.body.key,
          objectSize: bytes.length,
        },
      ],
    });

    const early = await fetch(`${ctx.stack.apiUrl}/webhooks/b2`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-bz-event-notification-signature": signB2Body(body, getConfig().webhooks.b2Secret) },
      body,
    });
    expect(early.status).toBe(200);
    await vi.waitFor(async () => expect(await queueDepth(ctx.stack.emulator.queues.ingest.name)).toBe(0), { timeout: 30_000, interval: 100 });
    const waiting = await ctx.api.call("GET", `/api/personal/vault/upload/${created.body.upload_id}`, { token: user.token });
    expect(waiting.body).toMatchObject({ status: "pending", phase: "awaiting_upload" });

    const put = await fetch(created.body.url, { method: "PUT", headers: created.body.headers, body: bytes });
    expect(put.status).toBe(200);
    expect(await waitForUpload(ctx.api, user.token, created.body.upload_id)).toMatchObject({ status: "complete", nodes_created: 4 });
  });
});
