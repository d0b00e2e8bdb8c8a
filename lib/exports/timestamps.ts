/**
 * Export timestamps in every spelling seen: epoch seconds as floats (ChatGPT), ISO 8601 with
 * microseconds (Claude), MongoDB extended JSON `{"$date": {"$numberLong": "<ms>"}}` or `{"$date": iso}`
 * (Grok). Anything unreadable becomes null: a record keeps its place without a made-up time, and is never
 * stamped with the import time.
 */

/** Before this (1973-03-03 in seconds) a number is not a real chat time; after it, ms if over 1e11. */
const MIN_EPOCH_SECONDS = 1e8;
const MS_THRESHOLD = 1e11;
const MAX_EPOCH_MS = Date.UTC(2200, 0, 1);

/** An export timestamp in any of the spellings above, as ISO 8601 UTC; null when there is none to trust. */
export function toIsoTimestamp(value: unknown): string | null {
  if (typeof value === "number") return fromEpoch(value);
  if (typeof value === "string") return fromString(value);
  if (value !== null && typeof value === "object" && "$date" in value) return fromMongoDate((value as { $date: unknown }).$date);
  return null;
}

function fromMongoDate(date: unknown): string | null {
  if (date !== null && typeof date === "object" && "$numberLong" in date) {
    const ms = Number((date as { $numberLong: unknown }).$numberLong);
    return Number.isFinite(ms) ? fromMilliseconds(ms) : null;
  }
  if (typeof date === "number") return fromMilliseconds(date);
  if (typeof date === "string") return fromString(date);
  return null;
}

function fromString(text: string): string | null {
  const trimmed = text.trim();
  if (trimmed === "") return null;
  if (/^-?\d+(\.\d+)?$/.test(trimmed)) return fromEpoch(Number(trimmed));
  const ms = Date.parse(trimmed);
  return Number.isFinite(ms) ? fromMilliseconds(ms) : null;
}

function fromEpoch(value: number): string | null {
  if (!Number.isFinite(value) || value < MIN_EPOCH_SECONDS) return null;
  return fromMilliseconds(value >= MS_THRESHOLD ? value : value * 1000);
}

function fromMilliseconds(ms: number): string | null {
  if (!Number.isFinite(ms) || ms < MIN_EPOCH_SECONDS * 1000 || ms > MAX_EPOCH_MS) return null;
  return new Date(Math.round(ms)).toISOString();
}
