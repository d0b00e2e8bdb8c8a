import { describe, expect, it } from "vitest";
import { ingestMessageSchema, toObjectCreated } from "../../lib/ingest/object-events";

describe("ingest queue messages", () => {
  it("reads the forwarder's B2 message", () => {
    const message = ingestMessageSchema.parse({ type: "object-created", origin: "b2", event_id: "e1", bucket: "b", key: "users/x/uploads/y/a.json", size: 10 });

    expect(toObjectCreated(message)).toEqual([{ eventId: "e1", bucket: "b", key: "users/x/uploads/y/a.json", size: 10, origin: "b2" }]);
  });

  it("reads native S3 notifications, decoding URL-encoded keys with + for spaces", () => {
    const message = ingestMessageSchema.parse({
      Records: [
        { eventName: "ObjectCreated:Put", s3: { bucket: { name: "b" }, object: { key: "users/x/uploads/y/my+export+%282%29.zip", size: 5, sequencer: "0A1" } } },
        { eventName: "ObjectRemoved:Delete", s3: { bucket: { name: "b" }, object: { key: "users/x/uploads/y/z.zip" } } },
      ],
    });

    expect(toObjectCreated(message)).toEqual([
      { eventId: "s3:b/users/x/uploads/y/my export (2).zip#0A1", bucket: "b", key: "users/x/uploads/y/my export (2).zip", size: 5, origin: "s3" },
    ]);
  });

  it("treats S3's test event as nothing to ingest", () => {
    expect(toObjectCreated(ingestMessageSchema.parse({ Service: "Amazon S3", Event: "s3:TestEvent" }))).toEqual([]);
  });
});
