import { describe, expect, it } from "vitest";
import { uniqueEmail } from "../support/api";
import { useTestStack } from "../support/stack";
import { requestFrom, type Answer } from "./support/from-address";

const ctx = useTestStack({ consumers: false });
const PASSWORD = "the owner's right passphrase";

async function account(): Promise<string> {
  const email = uniqueEmail("throttle");
  expect((await ctx.api.signUp(email, PASSWORD)).status).toBe(201);
  return email;
}

const logIn = (from: string, email: string, password: string) =>
  requestFrom(ctx.stack.apiUrl, from, "POST", "/api/personal/auth/login", { body: { email, password } });

/** Answers that show the password was checked: right (200) or wrong (401). 429 means refused unchecked. */
const checked = (answers: Answer[]) => answers.filter((answer) => answer.status === 200 || answer.status === 401).length;

describe("log-in throttle", () => {
  it("checks at most 5 of 60 concurrent guesses, so the right one among them is refused", async () => {
    const email = await account();
    const guesses = Array.from({ length: 60 }, (_, i) => (i === 44 ? PASSWORD : `wrong guess ${i}`));

    const answers = await Promise.all(guesses.map((guess) => logIn("127.0.0.10", email, guess)));

    expect(checked(answers)).toBeLessThanOrEqual(5);
    expect(answers.filter((answer) => answer.status === 429)).toHaveLength(60 - checked(answers));
    expect(answers[44]!.status).toBe(429);
  });

  it("refuses a burst of 300 fast, with no error and no hang", async () => {
    const email = await account();
    const started = Date.now();

    const answers = await Promise.all(Array.from({ length: 300 }, (_, i) => logIn("127.0.0.11", email, `burst guess ${i}`)));

    // Before: 248 of 300 checked in one window, the rest hung for 30 s and answered 500.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(answers.filter((answer) => answer.status >= 500)).toEqual([]);
    expect(checked(answers)).toBeLessThanOrEqual(5);
  });

  it("answers a burst of 300 log-ins to 300 addresses without an error: each is checked or told to come back", async () => {
    const answers = await Promise.all(Array.from({ length: 300 }, (_, i) => logIn("127.0.0.17", uniqueEmail(`nobody${i}`), "some guess or other")));

    // A request still waiting for its hash after 30 s would have answered 500 (the function's timeout).
    expect(answers.filter((answer) => answer.status >= 500)).toEqual([]);
    const busy = answers.filter((answer) => answer.status === 429);
    expect(busy.every((answer) => answer.body.error === "server_busy" && Number(answer.headers["retry-after"]) >= 1)).toBe(true);
    expect(answers.filter((answer) => answer.status === 401).length + busy.length).toBe(300);
  });

  it("lets the owner in from their usual address while a stranger elsewhere is locked out", async () => {
    const email = await account();
    const stranger = [];
    for (let i = 0; i < 12; i += 1) stranger.push(await logIn("127.0.0.12", email, `stranger guess ${i}`));
    expect(stranger.at(-1)!.status).toBe(429);

    const owner = await logIn("127.0.0.13", email, PASSWORD);

    expect(owner.status).toBe(200);
  });

  it("makes each further wrong guess wait longer, and says how long", async () => {
    const email = await account();
    for (let i = 0; i < 5; i += 1) expect((await logIn("127.0.0.14", email, `guess ${i}`)).status).toBe(401);
    const first = await logIn("127.0.0.14", email, PASSWORD);
    expect(first.status).toBe(429);
    expect(first.body.error).toBe("login_throttled");

    // Let the first delay pass without waiting for it, then guess wrong once more.
    await ctx.db.query("UPDATE personal.login_attempts SET next_allowed_at = now() WHERE email = $1", [email]);
    expect((await logIn("127.0.0.14", email, "guess 6")).status).toBe(401);
    const second = await logIn("127.0.0.14", email, PASSWORD);

    expect(second.status).toBe(429);
    expect(Number(second.headers["retry-after"])).toBeGreaterThan(Number(first.headers["retry-after"]));
  });

  it("counts lockouts per account and address", async () => {
    const email = await account();
    for (let i = 0; i < 7; i += 1) await logIn("127.0.0.15", email, `guess ${i}`);

    const { rows } = await ctx.db.query("SELECT client, failures, lockouts FROM personal.login_attempts WHERE email = $1", [email]);

    expect(rows).toEqual([{ client: "127.0.0.15", failures: 5, lockouts: 1 }]);
  });

  it("forgets the failures once the right password gets in", async () => {
    const email = await account();
    for (let i = 0; i < 4; i += 1) await logIn("127.0.0.16", email, `guess ${i}`);

    expect((await logIn("127.0.0.16", email, PASSWORD)).status).toBe(200);
    for (let i = 0; i < 4; i += 1) expect((await logIn("127.0.0.16", email, `again ${i}`)).status).toBe(401);
  });
});
