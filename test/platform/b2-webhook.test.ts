import { ReceiveMessageCommand, PurgeQueueCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getConfig } from "../../lib/config";
import { getSqs } from "../../lib/queues/client";
import { signB2Body } from "../../lib/webhooks/b2-signature";
import { startTestStack } from "../support/stack";

let stack: Awaited<ReturnType<typeof startTestStack>>;

beforeAll(async () => {
  stack = await startTestStack({ consumers: false });
});

afterAll(async () => {
  await stack?.cleanup();
});

beforeEach(async () => {
  await getSqs().send(new PurgeQueueCommand({ QueueUrl: stack.emulator.queues.ingest.url }));
});

const userId = "5d0f3c1e-8a1b-4c2d-9e3f-0a1b2c3d4e5f";
const uploadId = "0b9a8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d";

function b2Event(overrides: Record<string, unknown> = {}) {
  return {
    accountId: "acct",
    bucketId: "bucket-id",
    bucketName: "cogzy-vaults",
    eventId: crypto.randomUUID(),
    eventTimestamp: Date.now(),
    eventType: "b2:ObjectCreated:Upload",
    eventVersion: 1,
    matchedRuleName: "vault-uploads",
    objectName: `users/${userId}/uploads/${uploadId}/conversations.json`,
    objectSize: 1234,
    objectVersionId: "v1",
    ...overrides,
  };
}

async function post(body: string, signature = signB2Body(body, getConfig().webhooks.b2Secret)) {
  const response = await fetch(`${stack.apiUrl}/webhooks/b2`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-bz-event-notification-signature": signature },
    body,
  });
  return { status: response.status, body: (await response.json()) as any };
}

async function drainIngestQueue(): Promise<any[]> {
  const bodies: any[] = [];
  for (;;) {
    const answer = await getSqs().send(new ReceiveMessageCommand({ QueueUrl: stack.emulator.queues.ingest.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (!answer.Messages?.length) return bodies;
    bodies.push(...answer.Messages.map((message) => JSON.parse(message.Body!)));
  }
}

describe("B2 webhook forwarder", () => {
  it("forwards a correctly signed object-created event to the ingest queue", async () => {
    const event = b2Event();

    const answer = await post(JSON.stringify({ events: [event] }));

    expect(answer).toEqual({ status: 200, body: { forwarded: 1, duplicates: 0, ignored: 0 } });
    expect(await drainIngestQueue()).toEqual([
      expect.objectContaining({ type: "object-created", origin: "b2", event_id: event.eventId, key: event.objectName, size: 1234, bucket: "cogzy-vaults" }),
    ]);
  });

  it("answers 401 to a bad signature and forwards nothing", async () => {
    const body = JSON.stringify({ events: [b2Event()] });

    const wrongSecret = await post(body, signB2Body(body, "some other secret entirely"));
    const tampered = await post(body.replace("1234", "4321"), signB2Body(body, getConfig().webhooks.b2Secret));
    const missing = await fetch(`${stack.apiUrl}/webhooks/b2`, { method: "POST", body });

    expect(wrongSecret).toEqual({ status: 401, body: { error: "invalid_signature", message: expect.any(String) } });
    expect(tampered.status).toBe(401);
    expect(missing.status).toBe(401);
    expect(await drainIngestQueue()).toEqual([]);
  });

  it("forwards every upload of a batch and ignores objects outside users/{uuid}/uploads/", async () => {
    const events = [
      b2Event(),
      b2Event({ eventType: "b2:ObjectCreated:MultipartUpload", objectName: `users/${userId}/uploads/${crypto.randomUUID()}/export.zip` }),
      b2Event({ objectName: `users/${userId}/corpus/nodes.json` }),
      b2Event({ objectName: `other/${userId}/uploads/${uploadId}/x.json` }),
      b2Event({ objectName: `users/not-a-uuid/uploads/${uploadId}/x.json` }),
      b2Event({ eventType: "b2:ObjectDeleted:Delete" }),
    ];

    const answer = await post(JSON.stringify({ events }));

    expect(answer.body).toEqual({ forwarded: 2, duplicates: 0, ignored: 4 });
    const forwarded = await drainIngestQueue();
    expect(forwarded.map((message) => message.event_id).sort()).toEqual([events[0]!.eventId, events[1]!.eventId].sort());
  });

  it("forwards an event delivered twice only once", async () => {
    const body = JSON.stringify({ events: [b2Event()] });

    const first = await post(body);
    const second = await post(body);
    const concurrent = await Promise.all([post(body), post(body)]);

    expect(first.body.forwarded).toBe(1);
    expect(second.body).toEqual({ forwarded: 0, duplicates: 1, ignored: 0 });
    expect(concurrent.map((answer) => answer.body.duplicates)).toEqual([1, 1]);
    expect(await drainIngestQueue()).toHaveLength(1);
  });

  it("answers 400 to a signed body that is not a B2 notification", async () => {
    expect((await post("not json")).status).toBe(400);
    expect((await post(JSON.stringify({ something: "else" }))).status).toBe(400);
  });
});

describe("local B2 emulation", () => {
  it("posts a signed webhook when an object lands under uploads/, which reaches the ingest queue", async () => {
    const { PutObjectCommand } = await import("@aws-sdk/client-s3");
    const { getStore } = await import("../../lib/store/client");
    const key = `users/${userId}/uploads/${crypto.randomUUID()}/conversations.json`;

    await getStore().client.send(new PutObjectCommand({ Bucket: getStore().bucket, Key: key, Body: "[]" }));
    await getStore().client.send(new PutObjectCommand({ Bucket: getStore().bucket, Key: `users/${userId}/corpus/ignored.json`, Body: "{}" }));

    const messages: any[] = [];
    await expect.poll(async () => messages.push(...(await drainIngestQueue())), { timeout: 5000, interval: 100 }).toBeGreaterThan(0);
    expect(messages).toEqual([expect.objectContaining({ key, size: 2, origin: "b2" })]);
  });
});
