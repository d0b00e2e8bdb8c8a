import { setTimeout as sleep } from "node:timers/promises";
import { randomUUID } from "node:crypto";
import type { MessageSpyReader, S3SpyEvent, SpyMessage } from "fauxqs";
import { log } from "../lib/log";
import type { Store } from "../lib/store/client";
import { headObject } from "../lib/store/objects";
import { parseUploadKey } from "../lib/vaults/layout";
import { signB2Body } from "../lib/webhooks/b2-signature";

/**
 * Plays B2's part locally: B2 has no S3→SQS notifications, it POSTs signed Event Notifications to a
 * webhook. Whenever an object lands under `users/{uuid}/uploads/` in the emulator, this posts the same
 * body and signature B2 would to the forwarder, retrying like B2 does when it does not answer 2xx.
 */
export function startB2Bridge(options: { server: { spy: Pick<MessageSpyReader, "waitForMessage" | "clear"> }; store: Store; webhookUrl: string; secret: string }) {
  const seen = new WeakSet<SpyMessage>();
  let running = true;
  const isUploadCreated = (message: SpyMessage): message is S3SpyEvent =>
    message.service === "s3" && message.status === "uploaded" && !seen.has(message) && parseUploadKey(message.key) !== undefined;

  const pending = new Set<Promise<void>>();
  const loop = async () => {
    while (running) {
      // The spy resolves from its buffer first, so marking each event seen makes this a cursor over uploads.
      const message = await options.server.spy.waitForMessage(isUploadCreated).catch(() => undefined);
      if (!message || !running) break;
      seen.add(message);
      const delivery = deliver(options, message as S3SpyEvent).finally(() => pending.delete(delivery));
      pending.add(delivery);
    }
  };
  const looping = loop();

  return {
    async stop() {
      running = false;
      // Wake the waiting loop: the spy rejects pending waiters when cleared.
      options.server.spy.clear();
      await looping;
      await Promise.allSettled([...pending]);
    },
  };
}

async function deliver(options: { store: Store; webhookUrl: string; secret: string }, upload: S3SpyEvent): Promise<void> {
  const head = await headObject(options.store, upload.key);
  if (!head) return;
  const multipart = /-\d+"?$/.test(head.etag ?? "");
  const body = JSON.stringify({
    events: [
      {
        accountId: "local",
        bucketId: "local-bucket",
        bucketName: upload.bucket,
        eventId: randomUUID(),
        eventTimestamp: upload.timestamp,
        eventType: multipart ? "b2:ObjectCreated:MultipartUpload" : "b2:ObjectCreated:Upload",
        eventVersion: 1,
        matchedRuleName: "vault-uploads",
        objectName: upload.key,
        objectSize: head.size,
        objectVersionId: head.etag?.replaceAll('"', "") ?? "",
      },
    ],
  });
  for (let attempt = 1; attempt <= 5; attempt += 1) {
    try {
      const answer = await fetch(options.webhookUrl, {
        method: "POST",
        headers: { "content-type": "application/json", "x-bz-event-notification-signature": signB2Body(body, options.secret) },
        body,
      });
      if (answer.ok) return;
      log.warn("local B2 webhook answered an error; retrying", { status: answer.status, attempt });
    } catch (error) {
      log.warn("local B2 webhook unreachable; retrying", { attempt, error: (error as Error).message });
    }
    await sleep(250 * 2 ** attempt);
  }
  log.error("local B2 webhook gave up", { key: upload.key });
}
