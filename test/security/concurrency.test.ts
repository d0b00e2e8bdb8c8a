import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { getStore } from "../../lib/store/client";
import { getJson } from "../../lib/store/objects";
import { uniqueEmail } from "../support/api";
import { useTestStack } from "../support/stack";
import { requestFrom, type Answer } from "./support/from-address";

const ctx = useTestStack({ consumers: false });

/**
 * A sign-up as a browser makes it: told 429 `server_busy`, it waits Retry-After and tries again, for up
 * to 90 s (fifty password hashes, two at a time, take that long on a loaded 2-core machine).
 */
async function signUpPatiently(from: string, email: string): Promise<{ answer: Answer; tries: number }> {
  const giveUpAt = Date.now() + 90_000;
  for (let tries = 1; ; tries += 1) {
    const answer = await requestFrom(ctx.stack.apiUrl, from, "POST", "/api/personal/auth/signup", { body: { email, password: "a long enough passphrase" } });
    if (answer.status !== 429 || answer.body?.error !== "server_busy" || Date.now() > giveUpAt) return { answer, tries };
    await sleep(Number(answer.headers["retry-after"] ?? 1) * 1000);
  }
}

describe("under concurrent load", () => {
  it("signs up 50 people at once: 50 accounts, each with one vault and its vault.json, no error", async () => {
    const emails = Array.from({ length: 50 }, () => uniqueEmail("crowd"));

    const results = await Promise.all(emails.map((email, i) => signUpPatiently(`127.0.3.${i + 1}`, email)));

    expect(results.filter(({ answer }) => answer.status >= 500)).toEqual([]);
    expect(results.map(({ answer }) => answer.status)).toEqual(emails.map(() => 201));
    const ids = results.map(({ answer }) => answer.body.user_id as string);
    const { rows } = await ctx.db.query("SELECT count(DISTINCT v.id)::int AS vaults, count(*)::int AS rows FROM personal.vaults v WHERE v.user_id = ANY($1::uuid[])", [ids]);
    expect(rows[0]).toEqual({ vaults: 50, rows: 50 });
    const manifests = await Promise.all(ids.map((id) => getJson<{ user_id: string }>(getStore(), `users/${id}/vault.json`)));
    expect(manifests.map((manifest) => manifest?.user_id)).toEqual(ids);
  }, 150_000);

  it("answers 200 concurrent GET /me, each with its own caller's account and no one else's", async () => {
    const people = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const email = uniqueEmail("me");
        const { answer } = await signUpPatiently(`127.0.4.${i + 1}`, email);
        return { email, token: answer.body.token as string, userId: answer.body.user_id as string };
      }),
    );

    const answers = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const person = people[i % people.length]!;
        return { person, answer: await requestFrom(ctx.stack.apiUrl, "127.0.4.100", "GET", "/api/personal/me", { token: person.token }) };
      }),
    );

    expect(answers.filter(({ answer }) => answer.status !== 200).map(({ answer }) => `${answer.status} ${answer.text}`)).toEqual([]);
    for (const { person, answer } of answers) expect(answer.body).toMatchObject({ user_id: person.userId, email: person.email });
  }, 150_000);
});
