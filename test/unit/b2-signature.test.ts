import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signB2Body, verifyB2Signature } from "../../lib/webhooks/b2-signature";

const secret = "test-signing-secret";
const body = Buffer.from('{"events":[{"eventId":"1"}]}');

describe("B2 event notification signatures", () => {
  it("signs as v1=<hex HMAC-SHA256 of the raw body>", () => {
    expect(signB2Body(body, secret)).toBe(`v1=${createHmac("sha256", secret).update(body).digest("hex")}`);
  });

  it("accepts the right signature, in either hex case, and in a list during secret rotation", () => {
    const signature = signB2Body(body, secret);

    expect(verifyB2Signature(body, signature, secret)).toBe(true);
    expect(verifyB2Signature(body, signature.toUpperCase().replace("V1=", "v1="), secret)).toBe(true);
    expect(verifyB2Signature(body, `${signB2Body(body, "old secret")},${signature}`, secret)).toBe(true);
  });

  it("refuses a missing, malformed, wrong-secret or wrong-body signature", () => {
    expect(verifyB2Signature(body, undefined, secret)).toBe(false);
    expect(verifyB2Signature(body, "v1=abc", secret)).toBe(false);
    expect(verifyB2Signature(body, `v2=${"0".repeat(64)}`, secret)).toBe(false);
    expect(verifyB2Signature(body, signB2Body(body, "another secret"), secret)).toBe(false);
    expect(verifyB2Signature(Buffer.from(`${body} `), signB2Body(body, secret), secret)).toBe(false);
  });
});
