import { describe, expect, it } from "vitest";
import { SIGNUP_LIMITS } from "../../lib/accounts/signup-throttle";
import { uniqueEmail } from "../support/api";
import { useTestStack } from "../support/stack";
import { requestFrom } from "./support/from-address";

const ctx = useTestStack({ consumers: false });

const signUpFrom = (from: string, email: string) =>
  requestFrom(ctx.stack.apiUrl, from, "POST", "/api/personal/auth/signup", { body: { email, password: "a long enough passphrase" } });

async function takenAddresses(count: number): Promise<string[]> {
  const emails = Array.from({ length: count }, () => uniqueEmail("taken"));
  for (const email of emails) expect((await signUpFrom("127.0.1.1", email)).status).toBe(201);
  return emails;
}

describe("sign-up throttle (address enumeration)", () => {
  it("after 5 addresses found taken, answers every sign-up from that client 429, taken or not", async () => {
    const taken = await takenAddresses(6);

    const probes = [];
    for (const email of taken) probes.push(await signUpFrom("127.0.1.2", email));
    const fresh = await signUpFrom("127.0.1.2", uniqueEmail("fresh"));
    const elsewhere = await signUpFrom("127.0.1.3", uniqueEmail("elsewhere"));

    // Before: 409 for every taken address, without limit.
    expect(probes.map((answer) => answer.status)).toEqual([409, 409, 409, 409, 409, 429]);
    expect(fresh.status).toBe(429);
    expect(fresh.body.error).toBe("signup_throttled");
    expect(Number(fresh.headers["retry-after"])).toBeGreaterThan(0);
    expect(elsewhere.status).toBe(201);
  });

  it("lets a burst of 40 concurrent probes learn at most 5 taken addresses", async () => {
    const taken = await takenAddresses(8);

    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => signUpFrom("127.0.1.4", taken[i % taken.length]!)));

    expect(answers.filter((answer) => answer.status >= 500)).toEqual([]);
    expect(answers.filter((answer) => answer.status === 409).length).toBeLessThanOrEqual(5);
    expect(answers.filter((answer) => answer.status === 409 || answer.status === 429 || answer.status === 201)).toHaveLength(40);
    expect(answers.filter((answer) => answer.status === 201)).toEqual([]);
  });

  it(`caps new accounts from one client at ${SIGNUP_LIMITS.perClient} an hour`, async () => {
    await ctx.db.query(
      "INSERT INTO personal.rate_limits (bucket, window_started, hits) VALUES ('signup:127.0.1.5', now(), $1)",
      [SIGNUP_LIMITS.perClient],
    );

    const answer = await signUpFrom("127.0.1.5", uniqueEmail("one-too-many"));

    expect(answer.status).toBe(429);
    expect(answer.body.error).toBe("signup_throttled");
  });
});
