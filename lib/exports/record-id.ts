import { createHash } from "node:crypto";

/**
 * A short id that is the same every time the same fact is exported again: 32 hex characters of a
 * SHA-256 over the parts (source, conversation id, the source's own message id, …). Re-importing an
 * export then updates records instead of duplicating them. Parts are NUL-separated so ("ab","c") and
 * ("a","bc") differ; null and undefined hash as "".
 */
export function stableId(...parts: unknown[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(`${partText(part)}\u0000`);
  return hash.digest("hex").slice(0, 32);
}

function partText(part: unknown): string {
  if (part === null || part === undefined) return "";
  if (typeof part === "string") return part;
  if (typeof part === "number" || typeof part === "boolean") return String(part);
  return JSON.stringify(part) ?? "";
}
