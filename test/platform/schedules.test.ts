import { describe, expect, it } from "vitest";
import { schedules } from "../../functions/manifest";
import { msUntilNextRun } from "../../local/schedules";

describe("schedule expressions, read as EventBridge reads them", () => {
  const at = new Date("2026-03-04T10:20:30.000Z"); // a Wednesday

  it("runs rate() every so many minutes, hours or days", () => {
    expect(msUntilNextRun("rate(1 minute)", at)).toBe(60_000);
    expect(msUntilNextRun("rate(5 minutes)", at)).toBe(300_000);
    expect(msUntilNextRun("rate(2 hours)", at)).toBe(7_200_000);
    expect(msUntilNextRun("rate(1 day)", at)).toBe(86_400_000);
  });

  it("reads cron() in UTC with six fields, ? for any, and 1 for Sunday", () => {
    expect(msUntilNextRun("cron(0 3 * * ? *)", at)).toBe(Date.parse("2026-03-05T03:00:00Z") - at.getTime());
    expect(msUntilNextRun("cron(15 10 * * ? *)", at)).toBe(Date.parse("2026-03-05T10:15:00Z") - at.getTime());
    // Day of week 1 is Sunday in EventBridge: the next Sunday is 8 March.
    expect(msUntilNextRun("cron(0 12 ? * 1 *)", at)).toBe(Date.parse("2026-03-08T12:00:00Z") - at.getTime());
  });

  it("refuses what EventBridge would refuse", () => {
    expect(() => msUntilNextRun("every 5 minutes", at)).toThrow(/schedule expression/);
    expect(() => msUntilNextRun("cron(0 3 * * *)", at)).toThrow(/schedule expression/);
  });

  it("accepts every schedule of the manifest", () => {
    for (const schedule of schedules) expect(msUntilNextRun(schedule.schedule, at)).toBeGreaterThan(0);
  });
});
