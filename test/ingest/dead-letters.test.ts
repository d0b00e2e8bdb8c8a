import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { getSqs } from "../../lib/queues/client";
import { useTestStack } from "../support/stack";

const ctx = useTestStack();

describe("unreadable queue messages", () => {
  it("are retried, then reach the dead-letter queue, whose consumer takes them without failing", async () => {
    const { ingest } = ctx.stack.emulator.queues;
    const before = { ingest: ctx.stack.pollers.ingest!.stats(), dead: ctx.stack.pollers["ingest-dlq"]!.stats() };

    for (const body of ["{not json", JSON.stringify({ hello: "world" })]) {
      await getSqs().send(new SendMessageCommand({ QueueUrl: ingest.url, MessageBody: body }));
    }

    // Each is delivered maxReceiveCount times, then moved to the dead-letter queue and consumed there.
    await expect.poll(() => ctx.stack.pollers["ingest-dlq"]!.stats().succeeded - before.dead.succeeded, { timeout: 20_000 }).toBe(2);
    expect(ctx.stack.pollers.ingest!.stats().failed - before.ingest.failed).toBe(2 * ingest.definition.maxReceiveCount);
    expect(ctx.stack.pollers.ingest!.stats().succeeded - before.ingest.succeeded).toBe(0);
    expect(ctx.stack.pollers["ingest-dlq"]!.stats().failed - before.dead.failed).toBe(0);
  });
});
