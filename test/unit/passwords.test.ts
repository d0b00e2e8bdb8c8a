import { describe, expect, it } from "vitest";
import { hashPassword, passwordWeakness, verifyPassword } from "../../lib/accounts/passwords";
import { TooManyRequestsError } from "../../lib/errors";

const cheap = { N: 2 ** 10, r: 8, p: 1 };

describe("passwords", () => {
  it("verifies the password it hashed and nothing else", async () => {
    const stored = await hashPassword("correct horse battery", cheap);

    expect(await verifyPassword("correct horse battery", stored)).toBe(true);
    expect(await verifyPassword("correct horse batterY", stored)).toBe(false);
  });

  it("salts each hash", async () => {
    expect(await hashPassword("same password", cheap)).not.toBe(await hashPassword("same password", cheap));
  });

  it("never matches a malformed stored hash", async () => {
    expect(await verifyPassword("x", "")).toBe(false);
    expect(await verifyPassword("x", "bcrypt$whatever")).toBe(false);
  });

  it("refuses a hash that waited 5 s without starting (server_busy), even when the burst came before the estimate learnt", async () => {
    // The estimate has only seen cheap hashes, so it admits the whole burst; each of these takes 0.3–1 s
    // or more (256 MiB, two at a time), so the last of forty would wait far longer than 5 s.
    const slow = { N: 2 ** 18, r: 8, p: 1 };
    const started = performance.now();
    const settled = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        hashPassword(`burst ${i}`, slow).then(
          () => ({ ok: true, at: performance.now() - started, error: undefined as unknown }),
          (error: unknown) => ({ ok: false, at: performance.now() - started, error }),
        ),
      ),
    );

    const refused = settled.filter((result) => !result.ok);
    expect(refused.length).toBeGreaterThan(0);
    for (const result of refused) {
      expect(result.error).toBeInstanceOf(TooManyRequestsError);
      expect(result.error).toMatchObject({ code: "server_busy" });
      expect(result.at).toBeLessThan(7_000);
    }
  }, 60_000);

  it("explains why a password is too weak", () => {
    expect(passwordWeakness("short", "a@b.c")).toMatch(/at least 8/);
    expect(passwordWeakness("Password123", "a@b.c")).toMatch(/too common/);
    expect(passwordWeakness("aaaaaaaaaa", "a@b.c")).toMatch(/different characters/);
    expect(passwordWeakness("alice.smith", "alice.smith@example.com")).toMatch(/e-mail/);
    expect(passwordWeakness("a long enough passphrase", "a@b.c")).toBeUndefined();
  });
});
