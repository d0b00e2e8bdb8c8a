import { describe, expect, it } from "vitest";
import { hashPassword, passwordWeakness, verifyPassword } from "../../lib/accounts/passwords";

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

  it("explains why a password is too weak", () => {
    expect(passwordWeakness("short", "a@b.c")).toMatch(/at least 8/);
    expect(passwordWeakness("Password123", "a@b.c")).toMatch(/too common/);
    expect(passwordWeakness("aaaaaaaaaa", "a@b.c")).toMatch(/different characters/);
    expect(passwordWeakness("alice.smith", "alice.smith@example.com")).toMatch(/e-mail/);
    expect(passwordWeakness("a long enough passphrase", "a@b.c")).toBeUndefined();
  });
});
