import { z } from "zod";

/**
 * Body of a B2 Event Notification POST; one POST may carry several events
 * (https://www.backblaze.com/docs/cloud-storage-event-notifications-reference-guide).
 */
export const b2EventSchema = z.object({
  accountId: z.string().optional(),
  bucketId: z.string().optional(),
  bucketName: z.string().min(1),
  eventId: z.string().min(1),
  eventTimestamp: z.number().optional(),
  eventType: z.string().min(1),
  eventVersion: z.number().optional(),
  matchedRuleName: z.string().optional(),
  objectName: z.string().min(1),
  objectSize: z.number().int().nonnegative().nullable().optional(),
  objectVersionId: z.string().optional(),
});

export const b2NotificationSchema = z.object({ events: z.array(b2EventSchema) });

export type B2Event = z.infer<typeof b2EventSchema>;

export function isObjectCreated(event: B2Event): boolean {
  return event.eventType.startsWith("b2:ObjectCreated:");
}
