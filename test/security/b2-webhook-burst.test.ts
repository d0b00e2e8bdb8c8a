import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { getConfig } from "../../lib/config";
import { getSqs } from "../../lib/queues/client";
import { signB2Body } from "../../lib/webhooks/b2-signature";
import { forwardB2Events } from "../../lib/webhooks/forward";
import { crashingSqs } from "../support/faults";
import { useTestStack } from "../support/stack";

const ctx = useTestStack({ consumers: false });

function uploadEvents(count: number) {
  const userId = randomUUID();
  return Array.from({ length: count }, (_, i) => ({
    accountId: "acct",
    bucketId: "bucket-id",
    bucketName: getConfig().store.bucket,
    eventId: `burst-${randomUUID()}`,
    eventTimestamp: Date.now(),
    eventType: "b2:ObjectCreated:Upload",
    eventVersion: 1,
    matchedRuleName: "vault-uploads",
    objectName: `users/${userId}/uploads/${randomUUID()}/conversations-${i}.json`,
    objectSize: 100,
    objectVersionId: `v${i}`,
  }));
}

async function post(events: unknown[]) {
  const body = JSON.stringify({ events });
  const started = Date.now();
  const response = await fetch(`${ctx.stack.apiUrl}/webhooks/b2`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-bz-event-notification-signature": signB2Body(body, getConfig().webhooks.b2Secret) },
    body,
  });
  return { status: response.status, body: (await response.json()) as any, ms: Date.now() - started };
}

const queued = async () => {
  const queue = (await ctx.stack.emulator.server.inspectQueue(ctx.stack.emulator.queues.ingest.name))!;
  return [...queue.messages.ready, ...queue.messages.inflight.map((entry) => entry.message)].map((message) => JSON.parse(message.body).event_id as string);
};

describe("B2 webhook under a large notification", () => {
  it("answers a 10,000-event POST in time, and B2's retries forward every event exactly once", async () => {
    const events = uploadEvents(10_000);
    const answers: Array<Awaited<ReturnType<typeof post>>> = [];

    // Before: over 30 s, then 500 while forwarding went on in the background. Now each POST forwards
    // what fits in the webhook's time budget and answers 503 for the rest, which B2 sends again.
    do answers.push(await post(events));
    while (answers.at(-1)!.status === 503 && answers.length < 30);

    for (const answer of answers) {
      expect(answer.ms).toBeLessThan(20_000);
      expect([200, 503]).toContain(answer.status);
    }
    expect(answers.at(-1)!.status).toBe(200);
    const ids = (await queued()).filter((id) => id.startsWith("burst-"));
    expect(ids).toHaveLength(10_000);
    expect(new Set(ids)).toEqual(new Set(events.map((event) => event.eventId)));
    expect(await post(events)).toMatchObject({ status: 200, body: { forwarded: 0, duplicates: 10_000, ignored: 0 } });
  }, 600_000);

  it("answers 503 for events SQS refused, and forwards them, once, when B2 delivers again", async () => {
    const events = uploadEvents(25);
    const flaky = crashingSqs(getSqs(), "SendMessageBatchCommand", 1);
    const deps = { db: ctx.db, sqs: flaky.sqs, ingestQueueUrl: ctx.stack.emulator.queues.ingest.url };

    const first = await forwardB2Events(deps, events);
    const retry = await forwardB2Events(deps, events);

    expect(flaky.fault.fired).toBe(1);
    expect(first).toEqual({ forwarded: 15, duplicates: 0, ignored: 0, unsent: 10 });
    expect(retry).toEqual({ forwarded: 10, duplicates: 15, ignored: 0, unsent: 0 });
    const ids = (await queued()).filter((id) => events.some((event) => event.eventId === id));
    expect(ids.sort()).toEqual(events.map((event) => event.eventId).sort());
  });
});
