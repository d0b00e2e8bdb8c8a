import type { APIGatewayProxyEventV2 } from "aws-lambda";
import type { z } from "zod";
import { ValidationError } from "../errors";
import { validationSentence } from "./validation-messages";

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
    if (at > 0 && pair.slice(0, at).trim() === name) return decodeURIComponent(pair.slice(at + 1).trim());
  }
  return undefined;
}

export function bearerToken(event: HttpEvent): string | undefined {
  const value = header(event, "authorization");
  const match = value ? /^Bearer\s+(\S+)$/i.exec(value) : null;
  return match?.[1];
}

/** Parses a JSON body against `schema`; anything else is a 400 whose message is a sentence naming the field. */
export function parseJsonBody<S extends z.ZodType>(event: HttpEvent, schema: S): z.infer<S> {
  let value: unknown;
  try {
    value = JSON.parse(rawBody(event).toString("utf8") || "null");
  } catch {
    throw new ValidationError("The request body must be JSON.");
  }
  return parseWith(schema, value);
}

export function parsePathParameters<S extends z.ZodType>(event: HttpEvent, schema: S): z.infer<S> {
  return parseWith(schema, event.pathParameters ?? {});
}

export function parseQuery<S extends z.ZodType>(event: HttpEvent, schema: S): z.infer<S> {
  return parseWith(schema, event.queryStringParameters ?? {});
}

function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value, { error: validationSentence });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.join(".");
  throw new ValidationError(issue.message, { field: field || undefined });
}
