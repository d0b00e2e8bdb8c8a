import type { z } from "zod";

type Issue = z.core.$ZodRawIssue;

const KINDS: Record<string, string> = {
  string: "text",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  array: "a list",
  object: "an object",
  bigint: "a whole number",
};

const FORMATS: Record<string, string> = {
  uuid: "an id such as 0b7e2c34-5f1d-4a8e-9c3b-2d6f8e1a7b90",
  url: "a URL",
  datetime: "a date and time such as 2026-01-31T12:00:00Z",
  date: "a date such as 2026-01-31",
};

/**
 * A sentence for a person in place of zod's default wording ("email: Invalid email address", "Too small:
 * expected array to have >=1 items"). Passed to `safeParse` as its error map, it words only the issues
 * a schema left without a message of its own (zod prefers the schema's message); the field is named
 * inside the sentence, never as a `path:` prefix.
 */
export function validationSentence(issue: Issue): string {
  const name = fieldName(issue.path ?? []);
  const field = `"${name}"`;
  switch (issue.code) {
    case "invalid_type":
      if (name === "") return "The request body must be a JSON object.";
      if (issue.input === undefined) return `Add ${field} to the request.`;
      return `${field} must be ${KINDS[issue.expected] ?? issue.expected}.`;
    case "too_small":
      return sizeSentence(field, issue.origin, "at least", Number(issue.minimum), issue.inclusive !== false);
    case "too_big":
      return sizeSentence(field, issue.origin, "at most", Number(issue.maximum), issue.inclusive !== false);
    case "invalid_format":
      if (issue.format === "email") return "Enter a valid e-mail address.";
      return `${field} must be ${FORMATS[issue.format] ?? `in the ${issue.format} format`}.`;
    case "invalid_value":
      return `${field} must be ${issue.values.length === 1 ? JSON.stringify(issue.values[0]) : `one of ${issue.values.map((value) => JSON.stringify(value)).join(", ")}`}.`;
    case "unrecognized_keys": {
      const keys = issue.keys.map((key) => `"${fieldName([...(issue.path ?? []), key])}"`).join(", ");
      return `Remove ${keys}: the request does not take ${issue.keys.length === 1 ? "it" : "them"}.`;
    }
    case "not_multiple_of":
      return `${field} must be a multiple of ${String(issue.divisor)}.`;
    default:
      return name === "" ? "The request is not valid." : `${field} is not valid.`;
  }
}

function sizeSentence(field: string, origin: string, bound: "at least" | "at most", limit: number, inclusive: boolean): string {
  if (origin === "string") {
    if (bound === "at least" && limit === 1) return `${field} must not be empty.`;
    return `${field} must be ${bound} ${limit} characters long.`;
  }
  if (origin === "array" || origin === "set") {
    if (bound === "at least" && limit === 1) return `${field} must list at least one item.`;
    return `${field} must list ${bound} ${limit} items.`;
  }
  if (!inclusive) return `${field} must be ${bound === "at least" ? "more" : "less"} than ${limit}.`;
  return `${field} must be ${bound} ${limit}.`;
}

/** `["parts", 0, "etag"]` → `parts[0].etag`. */
/** `parts[0].etag` for the path `["parts", 0, "etag"]`. */
export function fieldName(path: PropertyKey[]): string {
  return path.reduce<string>((name, key) => (typeof key === "number" ? `${name}[${key}]` : name === "" ? String(key) : `${name}.${String(key)}`), "");
}
