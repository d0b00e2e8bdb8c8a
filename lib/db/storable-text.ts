/**
 * Text as PostgreSQL can keep it. A `text` value cannot hold the character with code zero
 * (https://www.postgresql.org/docs/current/datatype-character.html), and `jsonb` refuses the `\u0000`
 * escape and a `\uD800`-style escape without its pair (https://www.postgresql.org/docs/current/datatype-json.html).
 * Request bodies holding either are refused at the edge (lib/http/request.ts); text that comes from a
 * person's export or from a model's reply is theirs to keep, so it is stored with U+FFFD in their place.
 */
const LONE_SURROGATE = "[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]";
const UNSTORABLE = new RegExp(`\\u0000|${LONE_SURROGATE}`);
const UNSTORABLE_ALL = new RegExp(`\\u0000|${LONE_SURROGATE}`, "g");

/** True when `text` holds U+0000 or a lone UTF-16 surrogate. */
export function hasUnstorableText(text: string): boolean {
  return UNSTORABLE.test(text);
}

/** `text` with each U+0000 and lone surrogate replaced by U+FFFD (the replacement character). */
export function storableText(text: string): string {
  return text.replace(UNSTORABLE_ALL, "\uFFFD");
}

/** `JSON.stringify(value)` for a `jsonb` parameter, with every string value made {@link storableText}. */
export function storableJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === "string" ? storableText(item) : item));
}
