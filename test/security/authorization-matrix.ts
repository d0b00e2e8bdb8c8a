/**
 * Who may call what: one entry per route of `functions/manifest.ts`, keyed `"METHOD /path"`, with the
 * status each principal gets. `test/security/authorization.test.ts` calls every route as every principal;
 * a route without an entry here fails that suite (and `test/unit/authorization-matrix.test.ts`).
 *
 * Adding a route? Add one line: pick the preset that says who may use it and, if it has path parameters
 * or a body, say how to build a request the owner would legitimately make. Path parameters always name
 * the owner's resources, so "another user" is asking for someone else's data. The owner's personal access
 * token needs no line of its own: it gets the owner's answer where the manifest says the route
 * `acceptsAccessTokens` (read-only scope), and 403 everywhere else.
 */
import type { MatrixFixture } from "./support/matrix-fixture";

/** The callers every route is tried with; the last two carry the owner's personal access tokens. */
export const principals = ["owner", "anotherUser", "anonymous", "expiredSession", "revokedToken", "ownerToken"] as const;
export type Principal = (typeof principals)[number];

/** "The owner's answer if the route accepts access tokens, 403 if not": resolved against the manifest. */
export const READ_SCOPE = "read scope";

export interface MatrixRequest {
  /** Values for the route's `{name}` path parameters. */
  params?: Record<string, string>;
  /** A JSON body (sent as application/json). */
  body?: unknown;
  /** Query string parameters. */
  query?: Record<string, string>;
  /** Extra request headers (e.g. the `Accept` an MCP client sends). */
  headers?: Record<string, string>;
}

export interface MatrixEntry {
  /** Builds a fresh request the owner would make (called once per principal). */
  request?: (fixture: MatrixFixture) => Promise<MatrixRequest> | MatrixRequest;
  expected: Record<Principal, number | typeof READ_SCOPE>;
  /** Whether answers to principals other than the owner must not mention the owner (ids, e-mail). */
  private: boolean;
}

type RequestBuilder = MatrixEntry["request"];

/** The owner's own resource: another user is told it does not exist, anyone without a live session 401. */
export const ownerOnly = (ok: number, request?: RequestBuilder): MatrixEntry => ({
  request,
  expected: { owner: ok, anotherUser: 404, anonymous: 401, expiredSession: 401, revokedToken: 401, ownerToken: READ_SCOPE },
  private: true,
});

/** Any signed-in user, about their own account: the other user gets their own answer, never the owner's. */
export const signedIn = (ok: number, request?: RequestBuilder): MatrixEntry => ({
  request,
  expected: { owner: ok, anotherUser: ok, anonymous: 401, expiredSession: 401, revokedToken: 401, ownerToken: READ_SCOPE },
  private: true,
});

/** No session needed (sign-up, log-in): everybody gets the same answer. */
export const open = (status: number, request?: RequestBuilder): MatrixEntry => ({
  request,
  expected: { owner: status, anotherUser: status, anonymous: status, expiredSession: status, revokedToken: status, ownerToken: status },
  private: false,
});

/** Callbacks authenticated by their own signature: a session, or none, gets nobody in (Stripe's convention is 400). */
export const signedCallback = (request?: RequestBuilder, status = 401): MatrixEntry => ({
  request,
  expected: { owner: status, anotherUser: status, anonymous: status, expiredSession: status, revokedToken: status, ownerToken: status },
  private: true,
});

export const authorizationMatrix: Record<string, MatrixEntry> = {
  "POST /api/personal/auth/signup": open(201, (f) => ({ body: { email: f.uniqueEmail(), password: "a long enough passphrase" } })),
  "POST /api/personal/auth/login": open(200, (f) => ({ body: { email: f.owner.email, password: f.owner.password } })),
  "POST /api/personal/auth/logout": open(204),
  "GET /api/personal/me": signedIn(200),
  "POST /api/personal/vault/uploads": signedIn(201, () => ({ body: { filename: "conversations.json", size: 1024 } })),
  "POST /api/personal/vault/uploads/{upload_id}/complete": ownerOnly(200, async (f) => {
    const upload = await f.multipartUploadWithPartsSent();
    return { params: { upload_id: upload.uploadId }, body: { parts: upload.parts } };
  }),
  "DELETE /api/personal/vault/uploads/{upload_id}": ownerOnly(204, async (f) => ({ params: { upload_id: await f.pendingUpload() } })),
  "GET /api/personal/vault/upload/{upload_id}": ownerOnly(200, async (f) => ({ params: { upload_id: await f.pendingUpload() } })),
  "GET /api/personal/vault/status": signedIn(200),
  "POST /webhooks/b2": signedCallback(() => ({ body: { events: [] } })),
  "GET /api/personal/plans": open(200),
  "GET /api/personal/usage": signedIn(200),
  // No Stripe key in the test stack: a signed-in caller is told payments are not set up.
  "POST /api/personal/billing/checkout": signedIn(501, () => ({ body: {} })),
  "POST /api/personal/chat": signedIn(200, () => ({ body: { message: "What did I decide about the garden?" } })),
  "GET /api/personal/chat/conversations": signedIn(200),
  "GET /api/personal/chat/conversations/{conversation_id}": ownerOnly(200, async (f) => ({ params: { conversation_id: await f.conversation() } })),
  "DELETE /api/personal/chat/conversations/{conversation_id}": ownerOnly(204, async (f) => ({ params: { conversation_id: await f.conversation() } })),
  "POST /webhooks/stripe": signedCallback((f) => ({ body: { id: "evt_unsigned", object: "event", type: "checkout.session.completed", data: { object: { client_reference_id: f.owner.userId } } } }), 400),
  // Memory search is premium: the builders put both users on it, so the rows test access, not plans.
  "GET /api/personal/vault/search": signedIn(200, async (f) => {
    await f.premium();
    return { query: { q: "owner memory" } };
  }),
  "GET /api/personal/vault/memories/{memory_id}": ownerOnly(200, async (f) => {
    await f.premium();
    return { params: { memory_id: await f.ownerMemory() } };
  }),
  // Forgets are queued (this suite runs no consumers), so the owner's memory stays for the other rows.
  "DELETE /api/personal/vault/memories/{memory_id}": ownerOnly(202, async (f) => ({ params: { memory_id: await f.ownerMemory() } })),
  "DELETE /api/personal/vault/conversations/{conversation_id}": ownerOnly(202, async (f) => ({ params: { conversation_id: `matrix-${await f.ownerMemory()}` } })),
  "GET /api/personal/vault/forgets": signedIn(200),
  "POST /api/personal/vault/forgets/{forget_id}/restore": ownerOnly(200, async (f) => ({ params: { forget_id: await f.completedForget() }, body: {} })),
  "POST /api/personal/tokens": signedIn(201, () => ({ body: { name: "matrix" } })),
  "GET /api/personal/tokens": signedIn(200),
  "DELETE /api/personal/tokens/{token_id}": ownerOnly(204, async (f) => ({ params: { token_id: await f.ownerAccessToken() } })),
  "POST /mcp": signedIn(200, async (f) => {
    await f.premium();
    return {
      headers: { accept: "application/json, text/event-stream" },
      body: { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "matrix", version: "1" } } },
    };
  }),
  "GET /mcp": { expected: { owner: 405, anotherUser: 405, anonymous: 401, expiredSession: 401, revokedToken: 401, ownerToken: READ_SCOPE }, private: true },
  "GET /api/personal/vault/memories": signedIn(200, async (f) => ({ query: { conversation_id: `matrix-${await f.ownerMemory()}` } })),
  "GET /api/personal/vault/conversations": signedIn(200),
  "GET /api/personal/vault/topics": signedIn(200),
  // The owner's vault holds a memory; the other user's is empty, and an empty vault has nothing to export.
  "POST /api/personal/vault/export": {
    request: async (f) => {
      await f.ownerMemory();
      return { body: {} };
    },
    expected: { owner: 200, anotherUser: 409, anonymous: 401, expiredSession: 401, revokedToken: 401, ownerToken: READ_SCOPE },
    private: true,
  },
  // A wrong password, on purpose: the matrix shows who reaches the password check without deleting its owner
  // (test/control/account-deletion.test.ts deletes accounts with the right one).
  "DELETE /api/personal/me": {
    request: () => ({ body: { password: "not the password, on purpose" } }),
    expected: { owner: 403, anotherUser: 403, anonymous: 401, expiredSession: 401, revokedToken: 401, ownerToken: READ_SCOPE },
    private: true,
  },
  // The same for emptying the vault (test/control/empty-vault.test.ts empties vaults with the right one).
  "DELETE /api/personal/vault": {
    request: () => ({ body: { password: "not the password, on purpose" } }),
    expected: { owner: 403, anotherUser: 403, anonymous: 401, expiredSession: 401, revokedToken: 401, ownerToken: READ_SCOPE },
    private: true,
  },
};
