import { z } from "zod";

/**
 * The ingest queue's messages. Two producers: the B2 webhook forwarder (our own shape) and, on AWS S3,
 * native event notifications (`{Records: [...]}`; keys URL-encoded with `+` for spaces). Both become
 * {@link ObjectCreated}s.
 */
export interface ObjectCreated {
  eventId: string;
  bucket: string;
  key: string;
  size: number;
  origin: "b2" | "s3" | "sweep";
}

/** Our own shape: the B2 webhook forwards store events in it, and the sweeper re-announces stalled uploads. */
export const forwardedObjectCreatedSchema = z.object({
  type: z.literal("object-created"),
  origin: z.enum(["b2", "sweep"]),
  event_id: z.string().min(1),
  bucket: z.string().min(1),
  key: z.string().min(1),
  size: z.number().int().nonnegative(),
  event_time: z.string().optional(),
});

const s3RecordSchema = z.object({
  eventName: z.string(),
  s3: z.object({
    bucket: z.object({ name: z.string() }),
    object: z.object({ key: z.string(), size: z.number().int().nonnegative().default(0), eTag: z.string().optional(), sequencer: z.string().optional() }),
  }),
});

const s3NotificationSchema = z.object({ Records: z.array(s3RecordSchema) });

/**
 * `s3:TestEvent`, sent once when a notification is configured: nothing to ingest
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html).
 */
const s3TestEventSchema = z.object({ Service: z.literal("Amazon S3"), Event: z.literal("s3:TestEvent") });

export type ObjectCreatedMessage = z.infer<typeof forwardedObjectCreatedSchema>;

export const ingestMessageSchema = z.union([forwardedObjectCreatedSchema, s3NotificationSchema, s3TestEventSchema]);
export type IngestMessage = z.infer<typeof ingestMessageSchema>;

export function isS3TestEvent(message: IngestMessage): message is z.infer<typeof s3TestEventSchema> {
  return "Event" in message;
}

export function toObjectCreated(message: IngestMessage): ObjectCreated[] {
  if ("type" in message) {
    return [{ eventId: message.event_id, bucket: message.bucket, key: message.key, size: message.size, origin: message.origin }];
  }
  if (isS3TestEvent(message)) return [];
  return message.Records.filter((record) => record.eventName.startsWith("ObjectCreated:")).map((record) => {
    const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, " "));
    const version = record.s3.object.sequencer ?? record.s3.object.eTag ?? String(record.s3.object.size);
    return { eventId: `s3:${record.s3.bucket.name}/${key}#${version}`, bucket: record.s3.bucket.name, key, size: record.s3.object.size, origin: "s3" as const };
  });
}
