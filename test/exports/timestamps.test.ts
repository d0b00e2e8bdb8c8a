import { describe, expect, it } from "vitest";
import { toIsoTimestamp } from "../../lib/exports/timestamps";

describe("toIsoTimestamp", () => {
  it.each([
    ["ChatGPT epoch seconds with a fraction", 1700000000.123456, "2023-11-14T22:13:20.123Z"],
    ["Claude ISO with microseconds", "2024-03-01T09:00:01.123456Z", "2024-03-01T09:00:01.123Z"],
    ["ISO with an offset", "2024-03-01T10:00:00+01:00", "2024-03-01T09:00:00.000Z"],
    ["Grok $date with $numberLong milliseconds", { $date: { $numberLong: "1717000001000" } }, "2024-05-29T16:26:41.000Z"],
    ["Grok $date with an ISO string", { $date: "2024-06-01T12:00:00Z" }, "2024-06-01T12:00:00.000Z"],
    ["epoch milliseconds", 1717000001000, "2024-05-29T16:26:41.000Z"],
    ["epoch seconds as a string", "1700000000", "2023-11-14T22:13:20.000Z"],
  ])("reads %s", (_what, value, expected) => {
    expect(toIsoTimestamp(value)).toBe(expected);
  });

  it.each([
    ["null", null],
    ["a missing value", undefined],
    ["zero", 0],
    ["not a date", "yesterday-ish"],
    ["an empty string", ""],
    ["infinity", Number.POSITIVE_INFINITY],
    ["the far future", 1e15],
    ["an object", { when: "now" }],
  ])("gives null for %s rather than a made-up time", (_what, value) => {
    expect(toIsoTimestamp(value)).toBeNull();
  });
});
