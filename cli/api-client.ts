/**
 * The public API as the CLI uses it: the same calls, in the same order, as the web page.
 */
import type { SearchResponse } from "../lib/search/contract";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface UploadTarget {
  upload_id: string;
  method: "PUT" | "multipart";
  url?: string;
  headers?: Record<string, string>;
  part_size?: number;
  parts?: Array<{ part_number: number; size: number; url: string }>;
}

export interface UploadProgress {
  upload_id: string;
  status: "pending" | "processing" | "complete" | "failed";
  phase: string;
  progress_pct: number;
  exchanges_found: number;
  profiles_found: number;
  nodes_created: number;
  nodes_deduplicated: number;
  chunks_done: number;
  chunks_total: number;
  duplicate_of: string | null;
  error_message: string | null;
  timings: Record<string, number | string>;
}

import { createParser } from "eventsource-parser";
import type { ChatRequestBody } from "../lib/chat/contract";
import type { ChatAnswer } from "../lib/chat/send-message";

export function createApiClient(baseUrl: string) {
  let token: string | undefined;

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(new URL(path, baseUrl), {
        method,
        headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new ApiError(0, "unreachable", `Cannot reach ${baseUrl} (${(error as Error).message}). Is \`npm start\` running?`);
    }
    const text = await response.text();
    const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (!response.ok) throw new ApiError(response.status, String(parsed.error ?? response.status), String(parsed.message ?? response.statusText));
    return parsed as T;
  }

  return {
    /** Logs in; a wrong address or password is an `ApiError` with code `invalid_credentials`. */
    async logIn(email: string, password: string): Promise<void> {
      token = (await call<{ token: string }>("POST", "/api/personal/auth/login", { email, password })).token;
    },
    /** Creates the account (and its vault) and logs in; `email_taken` when the address has one already. */
    async signUp(email: string, password: string): Promise<void> {
      token = (await call<{ token: string }>("POST", "/api/personal/auth/signup", { email, password })).token;
    },
    requestUpload: (filename: string, size: number) => call<UploadTarget>("POST", "/api/personal/vault/uploads", { filename, size }),
    completeUpload: (uploadId: string, parts: Array<{ part_number: number; etag: string }>) =>
      call("POST", `/api/personal/vault/uploads/${uploadId}/complete`, { parts }),
    progress: (uploadId: string) => call<UploadProgress>("GET", `/api/personal/vault/upload/${uploadId}`),
    vaultStatus: () => call<{ vault: { node_count: number } }>("GET", "/api/personal/vault/status"),
    /** Uses a personal access token (or a session token) instead of logging in. */
    useToken(value: string): void {
      token = value;
    },
    search: (query: Record<string, string>) => call<SearchResponse>("GET", `/api/personal/vault/search?${new URLSearchParams(query)}`),
    /** Sends a chat message; with `onDelta`, the reply is streamed (server-sent events) and passed on as it comes. */
    async chat(body: ChatRequestBody, onDelta?: (text: string) => void): Promise<ChatAnswer> {
      if (!onDelta) return call<ChatAnswer>("POST", "/api/personal/chat", body);
      let response: Response;
      try {
        response = await fetch(new URL("/api/personal/chat", baseUrl), {
          method: "POST",
          headers: { "content-type": "application/json", accept: "text/event-stream", ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify(body),
        });
      } catch (error) {
        throw new ApiError(0, "unreachable", `Cannot reach ${baseUrl} (${(error as Error).message}). Is \`npm start\` running?`);
      }
      if (!response.ok || !(response.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
        const parsed = (await response.json().catch(() => ({}))) as Record<string, unknown>;
        if (response.ok) return parsed as unknown as ChatAnswer;
        throw new ApiError(response.status, String(parsed.error ?? response.status), String(parsed.message ?? response.statusText));
      }
      let answer: ChatAnswer | undefined;
      let failure: ApiError | undefined;
      const parser = createParser({
        onEvent(event) {
          const data = JSON.parse(event.data) as Record<string, any>;
          if (event.event === "delta") onDelta(data.text);
          else if (event.event === "done") answer = data as ChatAnswer;
          else if (event.event === "error") failure = new ApiError(503, String(data.error), String(data.message));
        },
      });
      const decoder = new TextDecoder();
      for await (const chunk of response.body!) parser.feed(decoder.decode(chunk, { stream: true }));
      if (failure) throw failure;
      if (!answer) throw new ApiError(0, "cut_off", "The reply was cut off before it ended. Try again.");
      return answer;
    },
  };
}
