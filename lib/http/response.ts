import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";

export type HttpResult = APIGatewayProxyStructuredResultV2;

export function json(statusCode: number, body: unknown, options: { cookies?: string[]; headers?: Record<string, string> } = {}): HttpResult {
  return {
    statusCode,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...options.headers },
    ...(options.cookies ? { cookies: options.cookies } : {}),
    body: JSON.stringify(body),
  };
}

export function noContent(options: { cookies?: string[] } = {}): HttpResult {
  return { statusCode: 204, headers: { "cache-control": "no-store" }, ...(options.cookies ? { cookies: options.cookies } : {}) };
}
