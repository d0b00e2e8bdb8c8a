import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getConfig } from "../../lib/config";
import { createPool } from "../../lib/db/pool";
import { DailyLimitError, describeUsage, releaseMessage, reserveMessage, usageAfterMessage } from "../../lib/tiers/usage";
import { uniqueEmail } from "../support/api";
import { useTestStack } from "../support/stack";

const ctx = useTestStack({ consumers: false });
// As many connections as a busy function fleet would hold, so the 100 reservations really race.
let wide: pg.Pool;
beforeAll(() => {
  // createPool listens for idle connections' errors, as every pool must: the test PostgreSQL stopping
  // under an idle connection is otherwise an unhandled error that fails the run.
  wide = createPool({ url: ctx.stack.databaseUrl, poolSize: 25, tls: "off" });
});
afterAll(() => wide?.end());

const deps = () => ({ db: wide, plans: getConfig().tiers });

async function newUser(tier: "free" | "premium" = "free"): Promise<string> {
  const { body } = await ctx.api.signUp(uniqueEmail(tier));
  if (tier === "premium") await ctx.db.query("UPDATE personal.user_tiers SET tier = 'premium' WHERE user_id = $1", [body.user_id]);
  return body.user_id;
}

async function settleAll(userId: string, count: number, now: Date) {
  const results = await Promise.allSettled(Array.from({ length: count }, () => reserveMessage(deps(), userId, now)));
  return {
    granted: results.filter((result) => result.status === "fulfilled").length,
    refused: results.filter((result) => result.status === "rejected" && result.reason instanceof DailyLimitError).length,
  };
}

describe("the daily message limit", () => {
  it("grants exactly 20 of 100 simultaneous messages from a free user", async () => {
    const userId = await newUser();
    const now = new Date();

    const { granted, refused } = await settleAll(userId, 100, now);

    expect({ granted, refused }).toEqual({ granted: 20, refused: 80 });
    expect(await describeUsage(deps(), userId, now)).toMatchObject({ tier: "free", messages_used: 20, messages_limit: 20, messages_remaining: 0 });
  });

  it("grants all 100 simultaneous messages from a premium user, and counts them", async () => {
    const userId = await newUser("premium");
    const now = new Date();

    const { granted } = await settleAll(userId, 100, now);

    expect(granted).toBe(100);
    expect(await describeUsage(deps(), userId, now)).toMatchObject({ tier: "premium", messages_used: 100, messages_limit: null, messages_remaining: null });
  });

  it("refuses with the count, the limit and the next UTC midnight", async () => {
    const userId = await newUser();
    const now = new Date("2031-05-06T17:30:00Z");
    await settleAll(userId, 20, now);

    const refusal = await reserveMessage(deps(), userId, now).catch((error: unknown) => error);

    expect(refusal).toBeInstanceOf(DailyLimitError);
    const error = refusal as DailyLimitError;
    expect(error.status).toBe(429);
    expect(error.fields).toEqual({ messages_used: 20, messages_limit: 20, resets_at: "2031-05-07T00:00:00.000Z" });
    expect(error.retryAfterSeconds).toBe(6.5 * 3600);
    expect(error.message).toMatch(/all 20 messages of the Free plan today.*6 h 30 min/);
  });

  it("gives a slot back when the reply fails, so the person can send again", async () => {
    const userId = await newUser();
    const now = new Date();
    const reservations = await Promise.all(Array.from({ length: 20 }, () => reserveMessage(deps(), userId, now)));
    await expect(reserveMessage(deps(), userId, now)).rejects.toBeInstanceOf(DailyLimitError);

    await releaseMessage(deps(), reservations[19]!);

    expect((await describeUsage(deps(), userId, now)).messages_used).toBe(19);
    await expect(reserveMessage(deps(), userId, now)).resolves.toMatchObject({ messagesUsed: 20 });
  });

  it("starts again at midnight UTC, not a moment before", async () => {
    const userId = await newUser();
    const lastMoment = new Date("2031-01-01T23:59:59.999Z");
    const midnight = new Date("2031-01-02T00:00:00.000Z");
    const yesterday = await Promise.all(Array.from({ length: 20 }, () => reserveMessage(deps(), userId, lastMoment)));
    await expect(reserveMessage(deps(), userId, lastMoment)).rejects.toBeInstanceOf(DailyLimitError);

    const first = await reserveMessage(deps(), userId, midnight);

    expect(first).toMatchObject({ day: "2031-01-02", messagesUsed: 1 });
    expect(await describeUsage(deps(), userId, midnight)).toMatchObject({ messages_used: 1, messages_remaining: 19, resets_at: "2031-01-03T00:00:00.000Z" });
    // A reply from yesterday failing now does not take anything off today's count.
    await releaseMessage(deps(), yesterday[0]!);
    expect((await describeUsage(deps(), userId, midnight)).messages_used).toBe(1);
  });

  it("shows a count from an earlier day as nothing used today", async () => {
    const userId = await newUser();
    await settleAll(userId, 7, new Date("2031-03-01T12:00:00Z"));

    expect((await describeUsage(deps(), userId, new Date("2031-03-02T08:00:00Z"))).messages_used).toBe(0);
  });

  it("tells the usage after a message from its reservation, as /usage would, and asks again once the day has changed", async () => {
    const userId = await newUser();
    await ctx.db.query("UPDATE personal.vaults SET total_bytes = 123456 WHERE user_id = $1", [userId]);
    const evening = new Date("2031-04-01T23:59:58Z");
    await reserveMessage(deps(), userId, evening);
    const second = await reserveMessage(deps(), userId, evening);

    const sameDay = await usageAfterMessage(deps(), second, evening);
    expect(sameDay).toEqual(await describeUsage(deps(), userId, evening));
    expect(sameDay).toMatchObject({ tier: "free", messages_used: 2, messages_remaining: 18, vault_bytes: 123456, resets_at: "2031-04-02T00:00:00.000Z" });

    // The reply finished after midnight: the new day's count, not the reservation's.
    const nextDay = new Date("2031-04-02T00:00:03Z");
    const afterMidnight = await usageAfterMessage(deps(), second, nextDay);
    expect(afterMidnight).toEqual(await describeUsage(deps(), userId, nextDay));
    expect(afterMidnight).toMatchObject({ messages_used: 0, messages_remaining: 20, resets_at: "2031-04-03T00:00:00.000Z" });
  });
});
