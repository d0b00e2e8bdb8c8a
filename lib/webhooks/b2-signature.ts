import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * B2 Event Notifications sign each POST: `x-bz-event-notification-signature: v1=<hex HMAC-SHA256 of the
 * raw body with the rule's signing secret>`. Verify on the exact bytes received, in constant time.
 */
export function signB2Body(body: Uint8Array | string, secret: string): string {
  return `v1=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export function verifyB2Signature(body: Uint8Array, signatureHeader: string | undefined, secret: string): boolean {
  if (!signatureHeader) return false;
  const expected = createHmac("sha256", secret).update(body).digest();
  // Accept a list ("v1=a,v1=b") so a secret can be rotated without dropping events.
  return signatureHeader.split(",").some((candidate) => {
    const match = /^\s*v1=([0-9a-fA-F]{64})\s*$/.exec(candidate);
    if (!match) return false;
    return timingSafeEqual(Buffer.from(match[1]!, "hex"), expected);
  });
}
