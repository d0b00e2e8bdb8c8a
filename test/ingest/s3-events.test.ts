import type { Context, SQSEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { main as splitHandler } from "../../functions/queues/split-upload";
import { uniqueEmail } from "../support/api";
import { chatgptExport, conversations } from "../support/exports";
import { uploadBytes } from "../support/ingest";
import { useTestStack } from "../support/stack";

// Consumers off: the split handler is invoked here by hand, with the event AWS S3 itself would send.
const ctx = useTestStack({ consumers: false });

function sqsEvent(body: unknown): SQSEvent {
  return {
    Records: [
      {
        messageId: crypto.randomUUID(),
        receiptHandle: "r",
        body: JSON.stringify(body),
        attributes: { ApproximateReceiveCount: "1", SentTimestamp: "0", SenderId: "s3", ApproximateFirstReceiveTimestamp: "0" },
        messageAttributes: {},
        md5OfBody: "",
        eventSource: "aws:sqs",
        eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:cogzy-ingest",
        awsRegion: "us-east-1",
      },
    ],
  };
}

describe("native S3 event notifications on the ingest queue", () => {
  it("split an upload announced by an S3 ObjectCreated record, with its URL-encoded key", async () => {
    const { body } = await ctx.api.signUp(uniqueEmail("s3"));
    const uploadId = await uploadBytes(ctx.api, body.token, "my export (1).json", chatgptExport(conversations("s3", 2)));
    const { rows } = await ctx.db.query("SELECT object_key, declared_bytes FROM personal.vault_uploads WHERE id = $1", [uploadId]);
    // S3 URL-encodes keys in notifications, parentheses included, with + for spaces.
    const encodedKey = encodeURIComponent(rows[0].object_key)
      .replace(/[()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
      .replaceAll("%2F", "/")
      .replaceAll("%20", "+");

    const response = await splitHandler(
      sqsEvent({ Records: [{ eventName: "ObjectCreated:Put", s3: { bucket: { name: "cogzy-vaults" }, object: { key: encodedKey, size: rows[0].declared_bytes, sequencer: "0055AED6DCD90281E5" } } }] }),
      {} as Context,
    );

    expect(encodedKey).toContain("my+export+%281%29.json");
    expect(response).toEqual({ batchItemFailures: [] });
    const upload = await ctx.db.query("SELECT state, chunks_total, exchanges_found FROM personal.vault_uploads WHERE id = $1", [uploadId]);
    expect(upload.rows[0]).toEqual({ state: "embedding", chunks_total: 1, exchanges_found: 6 });
  });

  it("treat S3's test event as nothing to do", async () => {
    const test = await splitHandler(sqsEvent({ Service: "Amazon S3", Event: "s3:TestEvent", Time: "2026-01-01T00:00:00.000Z", Bucket: "cogzy-vaults" }), {} as Context);

    expect(test).toEqual({ batchItemFailures: [] });
  });

  it("fail bodies that are not JSON or not of a known shape, so they are retried and dead-lettered", async () => {
    const junk = sqsEvent({ hello: "world" });
    const notJson = sqsEvent("placeholder");
    notJson.Records[0]!.body = "{not json";

    const answers = [await splitHandler(junk, {} as Context), await splitHandler(notJson, {} as Context)];

    expect(answers).toEqual([
      { batchItemFailures: [{ itemIdentifier: junk.Records[0]!.messageId }] },
      { batchItemFailures: [{ itemIdentifier: notJson.Records[0]!.messageId }] },
    ]);
  });
});
