/**
 * A small client for the public API, as a browser or the CLI would use it. `route` names a route by its
 * key in the API contract (lib/api/contract.ts), so what the tests send and read is typed the way the
 * server, the CLI and the web app see it; `call` sends anything at all (hostile requests, raw paths).
 */
import { createApiClient, type RequestInput } from "../../lib/api/client";
import type { ApiErrorBody, ResponseOf, RouteKey } from "../../lib/api/contract";

export interface ApiAnswer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** Who is calling: a session (or access) token as a bearer, a browser's cookie, or extra headers. */
export interface Caller {
  token?: string;
  cookie?: string;
  headers?: Record<string, string>;
}

function callerHeaders(caller: Caller): Record<string, string> {
  const headers: Record<string, string> = { ...caller.headers };
  if (caller.token) headers.authorization = `Bearer ${caller.token}`;
  if (caller.cookie) headers.cookie = caller.cookie;
  return headers;
}

async function readBody(response: Response): Promise<any> {
  const text = await response.text();
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text; // not JSON: keep the text
  }
}

export function apiClient(baseUrl: string) {
  async function call<T = any>(method: string, path: string, options: { body?: unknown } & Caller = {}): Promise<ApiAnswer<T>> {
    const headers = callerHeaders(options);
    if (options.body !== undefined && !Object.keys(headers).some((name) => name.toLowerCase() === "content-type")) headers["content-type"] = "application/json";
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : typeof options.body === "string" ? options.body : JSON.stringify(options.body),
    });
    return { status: response.status, body: await readBody(response), headers: response.headers };
  }

  /** Calls a route of the contract; the answer's body is the route's answer, or an error body. */
  async function route<K extends RouteKey>(key: K, options: RequestInput<K> & Caller = {} as RequestInput<K> & Caller): Promise<ApiAnswer<ResponseOf<K> & Partial<ApiErrorBody>>> {
    const response = await createApiClient({ baseUrl, headers: () => callerHeaders(options) }).send(key, options);
    return { status: response.status, body: await readBody(response), headers: response.headers };
  }

  return {
    call,
    route,
    signUp: (email: string, password = "a long enough passphrase") => route("POST /api/personal/auth/signup", { body: { email, password } }),
    logIn: (email: string, password = "a long enough passphrase") => route("POST /api/personal/auth/login", { body: { email, password } }),
    me: (token: string) => route("GET /api/personal/me", { token }),
  };
}

let counter = 0;
/** A unique e-mail address per call, so tests never collide on one database. */
export function uniqueEmail(label = "user"): string {
  counter += 1;
  return `${label}.${process.pid}.${Date.now()}.${counter}@example.com`;
}
