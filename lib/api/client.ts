/**
 * A typed client for the personal API, shared by the web app, the CLI and the tests: a route is named
 * by its manifest key (`"GET /api/personal/vault/upload/{upload_id}"`) and its body, parameters and
 * answer are the contract's ({@link ApiContract}). Runs wherever `fetch` does; imports only types.
 */
import { createParser } from "eventsource-parser";
import type { ApiErrorBody, BodyOf, ChatAnswer, ChatRequestBody, ChatStreamEvent, ParamsOf, QueryOf, ResponseOf, RouteKey } from "./contract";

/** A refusal or failure, with the server's own sentence as `message` (`status` 0: never reached). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body?: ApiErrorBody,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

type ParamsInput<K extends RouteKey> = [keyof ParamsOf<K>] extends [never] ? { params?: undefined } : { params: ParamsOf<K> };
type BodyInput<K extends RouteKey> = undefined extends BodyOf<K> ? { body?: BodyOf<K> } : { body: BodyOf<K> };

/** What a call takes besides its route: path parameters and a body where the route has them. */
export type RequestInput<K extends RouteKey> = ParamsInput<K> &
  BodyInput<K> & {
    query?: QueryOf<K> extends undefined ? undefined : QueryOf<K>;
    signal?: AbortSignal;
  };

/** `[input]` where the route needs one, `[input?]` where it does not. */
export type RequestArgs<K extends RouteKey> = object extends RequestInput<K> ? [input?: RequestInput<K>] : [input: RequestInput<K>];

/** An answer as it came, for tests that look at statuses and headers. */
export interface RawAnswer<T> {
  status: number;
  body: T;
  headers: Headers;
}

export interface ApiClientOptions {
  /** Where the API is; `""` is this page's own origin. */
  baseUrl?: string;
  /** Headers for every call (the CLI's and the tests' `Authorization: Bearer`). */
  headers?: () => Record<string, string>;
  /** `same-origin` by default, which sends the page's session cookie. */
  credentials?: RequestInit["credentials"];
  /** The sentence for a server that could not be reached. */
  unreachable?: (cause: unknown) => string;
  fetch?: (input: string, init?: RequestInit) => Promise<Response>;
}

/** `"GET /api/personal/vault/upload/{upload_id}"` + `{upload_id}` → method and URL path. */
export function resolveRoute(key: RouteKey, params: Record<string, string> | undefined, query?: object): { method: string; path: string } {
  const space = key.indexOf(" ");
  const method = key.slice(0, space);
  const path = key.slice(space + 1).replace(/\{(\w+)\}/g, (_match, name: string) => {
    const value = params?.[name];
    if (value === undefined) throw new Error(`${key}: the path parameter "${name}" is missing`);
    return encodeURIComponent(value);
  });
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
  const queryString = search.toString();
  return { method, path: queryString ? `${path}?${queryString}` : path };
}

export function createApiClient(options: ApiClientOptions = {}) {
  const baseUrl = (options.baseUrl ?? "").replace(/\/+$/, "");
  const doFetch = options.fetch ?? ((input: string, init?: RequestInit) => fetch(input, init));

  async function send<K extends RouteKey>(key: K, input: RequestInput<K> | undefined, accept = "application/json"): Promise<Response> {
    const { method, path } = resolveRoute(key, input?.params as Record<string, string> | undefined, input?.query ?? undefined);
    const body = input?.body;
    const headers: Record<string, string> = { accept, ...options.headers?.() };
    if (body !== undefined) headers["content-type"] = "application/json";
    try {
      return await doFetch(`${baseUrl}${path}`, {
        method,
        headers,
        credentials: options.credentials ?? "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: input?.signal,
      });
    } catch (cause) {
      if (input?.signal?.aborted) throw new ApiError(0, "aborted", "Cancelled.");
      throw new ApiError(0, "unreachable", options.unreachable?.(cause) ?? "The server could not be reached. Check your connection and try again.");
    }
  }

  /** Calls a route; resolves with its answer, or throws an {@link ApiError} carrying the server's sentence. */
  async function request<K extends RouteKey>(key: K, ...[input]: RequestArgs<K>): Promise<ResponseOf<K>> {
    const response = await send(key, input);
    const parsed = await readJson(response);
    if (!response.ok) throw errorFrom(response.status, parsed);
    return parsed as ResponseOf<K>;
  }

  /** Calls a route and hands back whatever came, error or not. */
  async function raw<K extends RouteKey>(key: K, ...[input]: RequestArgs<K>): Promise<RawAnswer<ResponseOf<K> & Partial<ApiErrorBody>>> {
    const response = await send(key, input);
    return { status: response.status, body: (await readJson(response)) as ResponseOf<K> & Partial<ApiErrorBody>, headers: response.headers };
  }

  /**
   * Sends a chat message and streams the reply: `onEvent` sees `start` (the memories used), each
   * `delta`, then `done`; resolves with the whole answer. A refusal before the stream (429 at the daily
   * limit, 404) and an `error` event half-way both throw an {@link ApiError} with the server's sentence.
   */
  async function chat(body: ChatRequestBody, onEvent: (event: ChatStreamEvent) => void, signal?: AbortSignal): Promise<ChatAnswer> {
    const response = await send("POST /api/personal/chat", { body, signal }, "text/event-stream");
    if (!response.ok) throw errorFrom(response.status, await readJson(response));
    if (!(response.headers.get("content-type") ?? "").startsWith("text/event-stream")) return (await readJson(response)) as ChatAnswer;
    let answer: ChatAnswer | undefined;
    let failure: ApiError | undefined;
    await readEventStream<ChatStreamEvent>(response, (event) => {
      onEvent(event);
      if (event.event === "done") answer = event.data;
      else if (event.event === "error") failure = errorFrom(503, event.data);
    });
    if (failure) throw failure;
    if (!answer) throw new ApiError(0, "cut_off", "The reply was cut off before it ended. Try again.");
    return answer;
  }

  return { request, raw, send, chat };
}

export type ApiClient = ReturnType<typeof createApiClient>;

async function readJson(response: Response): Promise<unknown> {
  if (response.status === 204) return undefined;
  const text = await response.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Reads a `text/event-stream` body (https://html.spec.whatwg.org/multipage/server-sent-events.html)
 * whose events carry one line of JSON each, passing each on as it arrives. Reads with a reader rather
 * than `for await`, which not every browser offers on a fetch body.
 */
export async function readEventStream<E extends { event: string; data: unknown }>(response: Response, onEvent: (event: E) => void): Promise<void> {
  if (!response.body) return;
  const parser = createParser({ onEvent: (message) => onEvent({ event: message.event ?? "message", data: JSON.parse(message.data) } as E) });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parser.feed(decoder.decode(value, { stream: true }));
  }
}

/** The answer of a failed call as an {@link ApiError}: the server's code and sentence when it gave them. */
export function errorFrom(status: number, body: unknown): ApiError {
  const answer = typeof body === "object" && body !== null ? (body as Partial<ApiErrorBody>) : {};
  const message = typeof answer.message === "string" && answer.message ? answer.message : `Something went wrong (HTTP ${status}). Try again in a moment.`;
  return new ApiError(status, typeof answer.error === "string" ? answer.error : "http_error", message, answer.error ? (answer as ApiErrorBody) : undefined);
}
