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
  };
}
