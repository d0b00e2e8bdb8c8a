/**
 * The public API as the CLI uses it: the same calls, in the same order, as the web page, through the
 * shared typed client (lib/api/client.ts) and the one API contract (lib/api/contract.ts).
 */
import { ApiError, createApiClient as createContractClient } from "../lib/api/client";
import type { ChatAnswer, ChatRequestBody, CompletedPart, SearchQueryInput, UploadTarget, UploadView } from "../lib/api/contract";

export { ApiError };
export type { UploadTarget };
/** An upload's progress as `GET /vault/upload/{upload_id}` answers it. */
export type UploadProgress = UploadView;

export function createApiClient(baseUrl: string) {
  let token: string | undefined;
  const client = createContractClient({
    baseUrl,
    headers: (): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {}),
    unreachable: (error) => `Cannot reach ${baseUrl} (${(error as Error).message}). Is \`npm start\` running?`,
  });
  const { request } = client;

  return {
    /** Logs in; a wrong address or password is an `ApiError` with code `invalid_credentials`. */
    async logIn(email: string, password: string): Promise<void> {
      token = (await request("POST /api/personal/auth/login", { body: { email, password } })).token;
    },
    /** Creates the account (and its vault) and logs in; `email_taken` when the address has one already. */
    async signUp(email: string, password: string): Promise<void> {
      token = (await request("POST /api/personal/auth/signup", { body: { email, password } })).token;
    },
    requestUpload: (filename: string, size: number) => request("POST /api/personal/vault/uploads", { body: { filename, size } }),
    completeUpload: (uploadId: string, parts: CompletedPart[]) =>
      request("POST /api/personal/vault/uploads/{upload_id}/complete", { params: { upload_id: uploadId }, body: { parts } }),
    progress: (uploadId: string) => request("GET /api/personal/vault/upload/{upload_id}", { params: { upload_id: uploadId } }),
    vaultStatus: () => request("GET /api/personal/vault/status"),
    /** Uses a personal access token (or a session token) instead of logging in. */
    useToken(value: string): void {
      token = value;
    },
    search: (query: SearchQueryInput) => request("GET /api/personal/vault/search", { query }),
    /** Sends a chat message; with `onDelta`, the reply is streamed (server-sent events) and passed on as it comes. */
    chat(body: ChatRequestBody, onDelta?: (text: string) => void): Promise<ChatAnswer> {
      if (!onDelta) return request("POST /api/personal/chat", { body });
      return client.chat(body, (event) => {
        if (event.event === "delta") onDelta(event.data.text);
      });
    },
    /** A link to a zip of the vault's current version (`vault export`). */
    exportVault: () => request("POST /api/personal/vault/export", { body: {} }),
  };
}
