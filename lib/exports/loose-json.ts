/**
 * Readers for JSON whose shape drifts between export versions: every field may be missing, null or of
 * another type, and a wrong type reads as "absent" instead of throwing.
 */
export type JsonObject = Record<string, unknown>;

/** A plain object (not an array, not null), else null. */
export function asObject(value: unknown): JsonObject | null {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as JsonObject) : null;
}

/** The array, or an empty one for anything else. */
export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A string with something in it, else null. */
export function asText(value: unknown): string | null {
  return typeof value === "string" && value.trim() !== "" ? value : null;
}

/** An id: a non-empty string, or a number spelled as one. */
export function asId(value: unknown): string | null {
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return asText(value)?.trim() ?? null;
}

/** A finite number, else undefined. */
export function asNumber(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** A title for display: trimmed, null when blank (Claude uses "" for untitled conversations). */
export function asTitle(value: unknown): string | null {
  return asText(value)?.trim() ?? null;
}
