import { PutObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { embedderIdentity } from "../../lib/embeddings";
import { pipelineDeps } from "../../lib/ingest/pipeline-deps";
import { splitUpload } from "../../lib/ingest/split-upload";
import { getStore } from "../../lib/store/client";
import { uniqueEmail } from "../support/api";
import { chatgptExport, conversations } from "../support/exports";
import { readVault, uploadBytes, waitForUpload } from "../support/ingest";
import { useTestStack } from "../support/stack";

const ctx = useTestStack();

async function newUser(label: string) {
  const { body } = await ctx.api.signUp(uniqueEmail(label));
  return { token: body.token as string, userId: body.user_id as string };
}

function splitDeps() {
  const deps = pipelineDeps();
  return { ...deps, embedder: embedderIdentity(deps.embedder) };
}

describe("tenant isolation", () => {
  it("answers 404 to another user's upload, exactly as to a missing one", async () => {
    const alice = await newUser("alice");
    const bob = await newUser("bob");
    const uploadId = await uploadBytes(ctx.api, alice.token, "conversations.json", chatgptExport(conversations("alice", 1)));

    const asBob = await ctx.api.call("GET", `/api/personal/vault/upload/${uploadId}`, { token: bob.token });
    const missing = await ctx.api.call("GET", `/api/personal/vault/upload/${crypto.randomUUID()}`, { token: bob.token });

    expect(asBob.status).toBe(404);
    expect(asBob.body).toEqual(missing.body);
    const bobStatus = await ctx.api.call("GET", "/api/personal/vault/status", { token: bob.token });
    expect(bobStatus.body.uploads).toEqual([]);
    expect((await ctx.api.call("DELETE", `/api/personal/vault/uploads/${uploadId}`, { token: bob.token })).status).toBe(404);
  });

  it("issues upload keys only under the caller's own prefix, whatever file name is asked for", async () => {
    const alice = await newUser("alice");
    const bob = await newUser("bob");

    const created = await ctx.api.call("POST", "/api/personal/vault/uploads", {
      token: bob.token,
      body: { filename: `../../${alice.userId}/uploads/x/../../corpus/evil.json`, size: 10 },
    });

    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(new RegExp(`^users/${bob.userId}/uploads/${created.body.upload_id}/[^/]+\\.json$`));
    expect(new URL(created.body.url).pathname).toContain(`/users/${bob.userId}/uploads/`);
  });

  it("ignores an event for a key in one user's prefix that names another user's upload", async () => {
    const alice = await newUser("alice");
    const bob = await newUser("bob");
    const created = await ctx.api.call("POST", "/api/personal/vault/uploads", { token: bob.token, body: { filename: "conversations.json", size: 10 } });
    const forgedKey = `users/${alice.userId}/uploads/${created.body.upload_id}/conversations.json`;
    await getStore().client.send(new PutObjectCommand({ Bucket: getStore().bucket, Key: forgedKey, Body: chatgptExport(conversations("forged", 1)) }));

    const outcome = await splitUpload(splitDeps(), { eventId: "forged", bucket: getStore().bucket, key: forgedKey, size: 10, origin: "b2" });

    expect(outcome).toBe("ignored");
    const bobUpload = await ctx.api.call("GET", `/api/personal/vault/upload/${created.body.upload_id}`, { token: bob.token });
    expect(bobUpload.body.status).toBe("pending");
    expect((await readVault(ctx.db, alice.userId)).nodes).toEqual([]);
  });

  it("ignores objects without an upload row, and keys outside users/{uuid}/uploads/", async () => {
    const alice = await newUser("alice");
    const strayKey = `users/${alice.userId}/uploads/${crypto.randomUUID()}/conversations.json`;
    await getStore().client.send(new PutObjectCommand({ Bucket: getStore().bucket, Key: strayKey, Body: chatgptExport(conversations("stray", 1)) }));

    expect(await splitUpload(splitDeps(), { eventId: "stray", bucket: getStore().bucket, key: strayKey, size: 1, origin: "b2" })).toBe("ignored");
    expect(await splitUpload(splitDeps(), { eventId: "corpus", bucket: getStore().bucket, key: `users/${alice.userId}/corpus/nodes.json`, size: 1, origin: "s3" })).toBe("ignored");
    expect(await splitUpload(splitDeps(), { eventId: "bucket", bucket: "someone-elses-bucket", key: strayKey, size: 1, origin: "s3" })).toBe("ignored");
    // The store announced both objects to the pipeline too: wait until it has dealt with them.
    const ingest = ctx.stack.emulator.queues.ingest.name;
    await expect.poll(async () => {
      const queue = await ctx.stack.emulator.server.inspectQueue(ingest);
      return (queue?.messages.ready.length ?? 0) + (queue?.messages.inflight.length ?? 0) + (queue?.messages.delayed.length ?? 0);
    }).toBe(0);
    expect((await readVault(ctx.db, alice.userId)).nodes).toEqual([]);
  });

  it("keeps each user's memories in their own vault when both upload the same export", async () => {
    const alice = await newUser("alice");
    const bob = await newUser("bob");
    const file = chatgptExport(conversations("common", 2));

    const [a, b] = await Promise.all([
      uploadBytes(ctx.api, alice.token, "conversations.json", file).then((id) => waitForUpload(ctx.api, alice.token, id)),
      uploadBytes(ctx.api, bob.token, "conversations.json", file).then((id) => waitForUpload(ctx.api, bob.token, id)),
    ]);

    // Dedupe is per vault: the same export is new to each of them.
    expect([a.nodes_created, b.nodes_created]).toEqual([6, 6]);
    expect(a.duplicate_of).toBeNull();
    expect(b.duplicate_of).toBeNull();
    const aliceVault = await readVault(ctx.db, alice.userId);
    const bobVault = await readVault(ctx.db, bob.userId);
    expect(aliceVault.vault.prefix).toBe(`users/${alice.userId}`);
    expect(aliceVault.nodes.every((node) => node.upload_id === a.upload_id)).toBe(true);
    expect(bobVault.nodes.every((node) => node.upload_id === b.upload_id)).toBe(true);
  });
});

describe("upload requests", () => {
  it("refuses files that are not exports, empty files, and uploads past the free tier's quota", async () => {
    const user = await newUser("limits");
    const call = (body: unknown) => ctx.api.call("POST", "/api/personal/vault/uploads", { token: user.token, body });

    expect((await call({ filename: "photo.png", size: 100 })).body.error).toBe("invalid_request");
    expect((await call({ filename: "conversations.json", size: 0 })).body.message).toBe("This file is empty.");
    const tooBig = await call({ filename: "export.zip", size: 101 * 1024 * 1024 });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body).toMatchObject({ error: "vault_quota_exceeded", message: expect.stringContaining("100 MB limit on the free plan") });
  });

  it("lets premium upload large exports as a multipart plan, then complete or cancel it", async () => {
    const user = await newUser("premium");
    await ctx.db.query("UPDATE personal.user_tiers SET tier = 'premium' WHERE user_id = $1", [user.userId]);

    const plan = await ctx.api.call("POST", "/api/personal/vault/uploads", { token: user.token, body: { filename: "export.zip", size: 150 * 1024 * 1024 } });

    expect(plan.status).toBe(201);
    // Locally parts are 8 MB: the emulator takes request bodies of at most 11 MiB.
    expect(plan.body).toMatchObject({ method: "multipart", part_size: 8 * 1024 * 1024 });
    expect(plan.body.parts).toHaveLength(19);
    expect(plan.body.parts.at(-1).size).toBe(150 * 1024 * 1024 - 18 * 8 * 1024 * 1024);
    expect(plan.body).not.toHaveProperty("multipart_id");
    const cancelled = await ctx.api.call("DELETE", `/api/personal/vault/uploads/${plan.body.upload_id}`, { token: user.token });
    expect(cancelled.status).toBe(204);
    const view = await ctx.api.call("GET", `/api/personal/vault/upload/${plan.body.upload_id}`, { token: user.token });
    expect(view.body).toMatchObject({ status: "failed", error_message: "Upload cancelled." });
  });
});
