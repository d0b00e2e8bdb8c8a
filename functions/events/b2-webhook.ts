import type { Context } from "aws-lambda";
import { getConfig } from "../../lib/config";
import { getPool } from "../../lib/db/pool";
import { RetryLaterError, UnauthorizedError, ValidationError } from "../../lib/errors";
import { httpHandler } from "../../lib/http/handler";
import { assertStorableText, header, rawBody, type HttpEvent } from "../../lib/http/request";
import { json } from "../../lib/http/response";
import { getSqs } from "../../lib/queues/client";
import { b2NotificationSchema } from "../../lib/webhooks/b2-events";
import { verifyB2Signature } from "../../lib/webhooks/b2-signature";
import { forwardB2Events } from "../../lib/webhooks/forward";

/** Forwarding stops starting new sends after this long, well inside the API's 30 s, so B2 gets an answer. */
const FORWARD_BUDGET_MS = 10_000;

/**
 * POST /webhooks/b2: B2 Event Notifications → ingest queue. The signature is checked on the raw bytes
 * before anything else is looked at. Events that could not be forwarded in time are answered 503, so
 * B2 delivers the notification again; the ones already forwarded are then recognised as duplicates.
 */
export async function main(event: HttpEvent, context?: Context) {
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
  assertStorableText(payload);
  const notification = b2NotificationSchema.safeParse(payload);
  if (!notification.success) throw new ValidationError("The event notification does not have the shape B2 sends.");
  const budget = Math.min(FORWARD_BUDGET_MS, (context?.getRemainingTimeInMillis() ?? FORWARD_BUDGET_MS) / 2);
  const { unsent, ...outcome } = await forwardB2Events(
    { db: getPool(), sqs: getSqs(), ingestQueueUrl: config.queues.ingestUrl },
    notification.data.events,
    { stopStartingAt: Date.now() + budget },
  );
  if (unsent > 0) {
    throw new RetryLaterError(`${outcome.forwarded} events were forwarded and ${unsent} could not be yet; send the notification again.`);
  }
  return json(200, outcome);
}

export const handler = httpHandler(main);
