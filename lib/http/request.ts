import type { APIGatewayProxyEventV2 } from "aws-lambda";
import type { z } from "zod";
import { hasUnstorableText } from "../db/storable-text";
import { UnsupportedMediaTypeError, ValidationError } from "../errors";
import { fieldName, validationSentence } from "./validation-messages";

export type HttpEvent = APIGatewayProxyEventV2;

/** The body as sent, decoding API Gateway's base64 for binary payloads. Webhook signatures need these exact bytes. */
export function rawBody(event: HttpEvent): Buffer {
  if (!event.body) return Buffer.alloc(0);
  return Buffer.from(event.body, event.isBase64Encoded ? "base64" : "utf8");
}

/** Reads a header case-insensitively (API Gateway lower-cases them, local callers may not). */
export function header(event: HttpEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** Reads a cookie from payload format 2.0's `cookies` array (or a raw Cookie header). */
export function cookie(event: HttpEvent, name: string): string | undefined {
  const pairs = event.cookies ?? header(event, "cookie")?.split(";") ?? [];
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at > 0 && pair.slice(0, at).trim() === name) return decodeComponent(pair.slice(at + 1).trim());
  }
  return undefined;
}

/** `decodeURIComponent`, or `undefined` for a malformed escape (`%zz`, a cut-off UTF-8 sequence). */
export function decodeComponent(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

export function bearerToken(event: HttpEvent): string | undefined {
  const value = header(event, "authorization");
  const match = value ? /^Bearer\s+(\S+)$/i.exec(value) : null;
  return match?.[1];
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Parses a JSON body against `schema`; anything else is a 400 whose message is a sentence naming the field. The body
 * must be declared `application/json`: a cross-site form can send `text/plain` without a CORS preflight,
 * but not JSON, so this keeps cookie-authenticated writes from resting on SameSite alone (OWASP CSRF
 * Prevention Cheat Sheet). Bytes that are not UTF-8 are refused rather than silently replaced.
 */
export function parseJsonBody<S extends z.ZodType>(event: HttpEvent, schema: S): z.infer<S> {
  const body = rawBody(event);
  if (body.length > 0 && !isJsonContentType(header(event, "content-type"))) {
    throw new UnsupportedMediaTypeError("Send the request body as JSON, with Content-Type: application/json.");
  }
  let text: string;
  try {
    text = strictUtf8.decode(body);
  } catch {
    throw new ValidationError("The request body must be UTF-8 text.");
  }
  let value: unknown;
  try {
    value = JSON.parse(text || "null");
  } catch {
    throw new ValidationError("The request body must be JSON.");
  }
  return parseWith(schema, value);
}

function isJsonContentType(contentType: string | undefined): boolean {
  return /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(contentType ?? "");
}

export function parsePathParameters<S extends z.ZodType>(event: HttpEvent, schema: S): z.infer<S> {
  return parseWith(schema, event.pathParameters ?? {});
}

export function parseQuery<S extends z.ZodType>(event: HttpEvent, schema: S): z.infer<S> {
  return parseWith(schema, event.queryStringParameters ?? {});
}

/**
 * Refuses (400) a decoded value holding text that cannot be stored: parseJsonBody and the other parsers
 * here call it; a route that parses its body otherwise (a signed webhook) calls it on what it parsed.
 */
export function assertStorableText(value: unknown): void {
  const unstorable = findUnstorableText(value);
  if (unstorable !== undefined) {
    throw new ValidationError(
      `${unstorable ? `"${unstorable}"` : "The request"} contains a NUL character or a broken (unpaired surrogate) character, which cannot be stored. Remove it and try again.`,
      { field: unstorable || undefined },
    );
  }
}

function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  assertStorableText(value);
  const parsed = schema.safeParse(value, { error: validationSentence });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.join(".");
  throw new ValidationError(issue.message, { field: field || undefined });
}

/**
 * The field (`parts[0].etag`, `""` for the body itself) of the first string or key that cannot be stored
 * as text: U+0000, which PostgreSQL refuses, or a lone UTF-16 surrogate, which is not Unicode at all and
 * would become U+FFFD on the way to the database or into a hash (so two different passwords would
 * compare equal). `undefined` if there is none.
 */
function findUnstorableText(value: unknown, path: PropertyKey[] = []): string | undefined {
  const bad = hasUnstorableText;
  if (typeof value === "string") return bad(value) ? fieldName(path) : undefined;
  if (typeof value !== "object" || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (bad(key)) return fieldName([...path, "(a key)"]);
    const at = [...path, Array.isArray(value) ? Number(key) : key];
    const found = findUnstorableText(item, at);
    if (found !== undefined) return found;
  }
  return undefined;
}
