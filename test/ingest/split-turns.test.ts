import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { pipelineDeps } from "../../lib/ingest/pipeline-deps";
import { uniqueEmail } from "../support/api";
import { splitEvent, takeIngestEvent } from "../support/drive";
import { timeLoopStalls } from "../support/event-loop";
import { chatgptExport, conversations } from "../support/exports";
import { uploadLargeBytes } from "../support/ingest";
import { useTestStack } from "../support/stack";

const ctx = useTestStack({ consumers: false });

/**
 * The store, except that a GET's body is read whole before it is answered: the split's reader then
 * always has bytes ready, as when the store sends faster than the split parses (a local stack, a
 * Lambda function next to S3), and its records come through promise jobs alone.
 */
function storeThatSendsAtOnce() {
  const store = pipelineDeps().store;
  const send = (async (command: Parameters<S3Client["send"]>[0]) => {
    const answer = (await store.client.send(command as never)) as { Body?: Readable };
    if (!(command instanceof GetObjectCommand) || !answer.Body) return answer;
    const chunks: Buffer[] = [];
    for await (const chunk of answer.Body) chunks.push(chunk as Buffer);
    return { ...answer, Body: Readable.from(chunks) };
  }) as S3Client["send"];
  return { ...store, client: new Proxy(store.client, { get: (client, name) => (name === "send" ? send : Reflect.get(client, name)) }) };
}

describe("the split's event loop", () => {
  it("turns every few milliseconds while the split parses a file the store sent at once", async () => {
    const { body: user } = await ctx.api.signUp(uniqueEmail("split-turns"));
    // ~45 MB: thousands of exchanges of ~12 KB ready to parse at once, a second or more of work on any machine.
    const padding = " and then water it again".repeat(240);
    const json = chatgptExport(conversations("turns", 1200, 3).map((spec) => ({ ...spec, turns: spec.turns.map(([human, answer]) => [human + padding, answer + padding] as [string, string]) })));
    const id = await uploadLargeBytes(ctx.api, user.token, "conversations.json", json);
    const event = await takeIngestEvent(ctx.stack, id);

    const { result, took, longestGap } = await timeLoopStalls(2, () => splitEvent(event, { store: storeThatSendsAtOnce() }));
    expect(result).toEqual(["split"]);
    // A parse long enough for stalls to show: without turns of its own it held the loop for up to two
    // claim batches at a time (2,000 exchanges, 285-298 ms here), until it had to wait for their
    // answers; with them the longest was 40-56 ms.
    expect(took).toBeGreaterThan(600);
    expect(longestGap).toBeLessThan(150);
  }, 120_000);
});
