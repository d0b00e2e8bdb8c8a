/**
 * The web app's API client: the shared typed client (lib/api/client.ts) over the one API contract
 * (lib/api/contract.ts). Same-origin calls carry the HttpOnly `session_id` cookie, so nothing here
 * touches the session token. Components take `apiBase` and make their own client: no shared state.
 */
import { ApiError, createApiClient, type ApiClient } from "../../../lib/api/client";

export { ApiError };
export type { ApiClient };
export type * from "../../../lib/api/contract";

/** A client for the API at `apiBase` (`""`: this page's own origin). */
export function apiClient(apiBase = ""): ApiClient {
  return createApiClient({
    baseUrl: apiBase,
    credentials: apiBase ? "include" : "same-origin",
    unreachable: () => "Cogzy could not be reached. Check your connection and try again.",
  });
}

/** The sentence to show for a failure: the server's own, or a plain one for anything else. */
export function messageOf(error: unknown): string {
  return error instanceof ApiError ? error.message : "Something went wrong on this page. Reload it and try again.";
}

/** A session that ended (or never was): the app goes back to the log-in form. */
export function isSessionEnded(error: unknown): error is ApiError {
  return error instanceof ApiError && error.status === 401;
}
