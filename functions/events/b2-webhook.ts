import { getConfig } from "../../lib/config";
import { getPool } from "../../lib/db/pool";
import { UnauthorizedError, ValidationError } from "../../lib/errors";
import { httpHandler } from "../../lib/http/handler";
import { header, rawBody, type HttpEvent } from "../../lib/http/request";
import { json } from "../../lib/http/response";
import { getSqs } from "../../lib/queues/client";
import { b2NotificationSchema } from "../../lib/webhooks/b2-events";
import { verifyB2Signature } from "../../lib/webhooks/b2-signature";
import { forwardB2Events } from "../../lib/webhooks/forward";

/**
 * POST /webhooks/b2: B2 Event Notifications → ingest queue. The signature is checked on the raw bytes
 * before anything else is looked at.
 */
export async function main(event: HttpEvent) {
  const config = getConfig();
  const body = rawBody(event);
  if (!verifyB2Signature(body, header(event, "x-bz-event-notification-signature"), config.webhooks.b2Secret)) {
    throw new UnauthorizedError("The event notification signature is not valid.", "invalid_signature");
  }
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString("utf8"));
  } catch {
    throw new ValidationError("The event notification body must be JSON.");
  }
  const notification = b2NotificationSchema.safeParse(payload);
  if (!notification.success) throw new ValidationError("The event notification does not have the shape B2 sends.");
  const outcome = await forwardB2Events(
    { db: getPool(), sqs: getSqs(), ingestQueueUrl: config.queues.ingestUrl },
    notification.data.events,
  );
  return json(200, outcome);
}

export const handler = httpHandler(main);
