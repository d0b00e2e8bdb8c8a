import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { ResponseOf, RouteKey } from "../api/contract";

export type HttpResult = APIGatewayProxyStructuredResultV2;

export function json(statusCode: number, body: unknown, options: { cookies?: string[]; headers?: Record<string, string> } = {}): HttpResult {
  return {
    statusCode,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...options.headers },
    ...(options.cookies ? { cookies: options.cookies } : {}),
    body: JSON.stringify(body),
  };
}

/** A JSON answer of the shape the API contract gives `route` (lib/api/contract.ts): the compiler checks it. */
export function answer<K extends RouteKey>(_route: K, statusCode: number, body: ResponseOf<K>, options: { cookies?: string[]; headers?: Record<string, string> } = {}): HttpResult {
  return json(statusCode, body, options);
}

export function noContent(options: { cookies?: string[] } = {}): HttpResult {
  return { statusCode: 204, headers: { "cache-control": "no-store" }, ...(options.cookies ? { cookies: options.cookies } : {}) };
}
