/**
 * The page's client for the personal API. Same-origin fetches carry the HttpOnly `session_id` cookie,
 * so nothing here touches the session token. Every failure becomes an `ApiError` whose `message` is the
 * server's own sentence, written for the person to read.
 */

/**
 * @typedef {"free" | "premium"} Tier
 * @typedef {"empty" | "syncing" | "ready" | "error"} VaultState
 * @typedef {"pending" | "processing" | "complete" | "failed"} UploadStatus
 * @typedef {"awaiting_upload" | "queued" | "parsing" | "embedding" | "merging" | "done" | "failed"} UploadPhase
 *
 * @typedef {{ user_id: string, email: string, token: string, expires_at: string }} Session
 * @typedef {{ prefix: string, status: VaultState, node_count: number, total_bytes: number }} VaultSummary
 * @typedef {{ tier: Tier, messages_used: number, messages_limit: number | null, messages_remaining: number | null, resets_at: string, vault_bytes: number, vault_limit_bytes: number, features: string[] }} Usage
 * @typedef {{ name: string, messages_per_day: number | null, upload_enabled: boolean, max_vault_size_mb: number, features: string[], price_monthly_usd: number }} Plan
 * @typedef {{ free: Plan, premium: Plan }} Plans
 * @typedef {{ user_id: string, email: string, tier: Tier, vault: VaultSummary, usage: Usage }} Me
 * @typedef {{ id: string, conversation_title: string | null, created_at: string | null, source: string, score: number, snippet: string }} MemoryUsed
 * @typedef {{ conversation_id: string, reply: string, memories_used: MemoryUsed[], usage: Usage, model: string }} ChatAnswer
 * @typedef {{ id: string, title: string, created_at: string, updated_at: string, message_count: number }} ConversationSummary
 * @typedef {{ id: number, role: "user" | "assistant", content: string, created_at: string, memories_used?: MemoryUsed[], model?: string }} StoredMessage
 * @typedef {{ id: string, title: string, created_at: string, updated_at: string, messages: StoredMessage[] }} Conversation
 * @typedef {{ embedder: string, model: string, dim: number }} Embedder
 * @typedef {VaultSummary & { last_sync_at: string | null, version: number, embedder: Embedder | null }} VaultDetail
 *
 * @typedef {object} UploadView
 * @property {string} upload_id
 * @property {string} filename
 * @property {string | null} source_type
 * @property {UploadStatus} status
 * @property {UploadPhase} phase
 * @property {number} progress_pct
 * @property {number} bytes
 * @property {number} exchanges_found
 * @property {number} profiles_found
 * @property {number} nodes_created
 * @property {number} nodes_deduplicated
 * @property {number} chunks_done
 * @property {number} chunks_total
 * @property {string | null} duplicate_of
 * @property {string | null} error_message
 * @property {Record<string, number>} timings
 * @property {string} uploaded_at
 * @property {string | null} completed_at
 *
 * @typedef {{ vault: VaultDetail, uploads: UploadView[] }} VaultStatus
 *
 * @typedef {{ upload_id: string, key: string, method: "PUT", url: string, headers: Record<string, string>, expires_at: string }} SinglePutTarget
 * @typedef {{ part_number: number, size: number, url: string }} PartTarget
 * @typedef {{ upload_id: string, key: string, method: "multipart", part_size: number, parts: PartTarget[], expires_at: string }} MultipartTarget
 * @typedef {SinglePutTarget | MultipartTarget} UploadTarget
 * @typedef {{ part_number: number, etag: string }} CompletedPart
 */

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status; 0 when the server could not be reached.
   * @param {string} code the API's stable error code.
   * @param {string} message a sentence for the person.
   */
  constructor(status, code, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

const OFFLINE_MESSAGE = "Cogzy could not be reached. Check your connection and try again.";

/**
 * @template T
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<T>}
 */
async function call(method, path, body) {
  /** @type {Response} */
  let response;
  try {
    response = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: body === undefined ? { accept: "application/json" } : { accept: "application/json", "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "offline", OFFLINE_MESSAGE);
  }
  if (response.status === 204) return /** @type {T} */ (undefined);
  const text = await response.text();
  /** @type {any} */
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const message = typeof parsed?.message === "string" && parsed.message ? parsed.message : `Something went wrong (HTTP ${response.status}). Try again in a moment.`;
    throw new ApiError(response.status, typeof parsed?.error === "string" ? parsed.error : "http_error", message);
  }
  return parsed;
}

export const api = {
  /** @param {string} email @param {string} password @returns {Promise<Session>} */
  signUp: (email, password) => call("POST", "/api/personal/auth/signup", { email, password }),
  /** @param {string} email @param {string} password @returns {Promise<Session>} */
  logIn: (email, password) => call("POST", "/api/personal/auth/login", { email, password }),
  /** @returns {Promise<void>} */
  logOut: () => call("POST", "/api/personal/auth/logout"),
  /** @returns {Promise<Me>} */
  me: () => call("GET", "/api/personal/me"),
  /** @returns {Promise<VaultStatus>} */
  vaultStatus: () => call("GET", "/api/personal/vault/status"),
  /** @param {string} filename @param {number} size @returns {Promise<UploadTarget>} */
  createUpload: (filename, size) => call("POST", "/api/personal/vault/uploads", { filename, size }),
  /** @param {string} uploadId @param {CompletedPart[]} parts @returns {Promise<{ upload_id: string, status: string }>} */
  completeUpload: (uploadId, parts) => call("POST", `/api/personal/vault/uploads/${encodeURIComponent(uploadId)}/complete`, { parts }),
  /** @param {string} uploadId @returns {Promise<void>} */
  cancelUpload: (uploadId) => call("DELETE", `/api/personal/vault/uploads/${encodeURIComponent(uploadId)}`),
  /** @param {string} uploadId @returns {Promise<UploadView>} */
  upload: (uploadId) => call("GET", `/api/personal/vault/upload/${encodeURIComponent(uploadId)}`),
  /** @returns {Promise<Usage>} */
  usage: () => call("GET", "/api/personal/usage"),
  /** @returns {Promise<Plans>} */
  plans: () => call("GET", "/api/personal/plans"),
  /** @returns {Promise<{ url: string, session_id: string }>} */
  checkout: () => call("POST", "/api/personal/billing/checkout", {}),
  chat,
  /** @returns {Promise<{ conversations: ConversationSummary[] }>} */
  conversations: () => call("GET", "/api/personal/chat/conversations"),
  /** @param {string} id @returns {Promise<Conversation>} */
  conversation: (id) => call("GET", `/api/personal/chat/conversations/${encodeURIComponent(id)}`),
  /** @param {string} id @returns {Promise<void>} */
  deleteConversation: (id) => call("DELETE", `/api/personal/chat/conversations/${encodeURIComponent(id)}`),
};

/**
 * Sends a chat message and reads the reply as server-sent events as it is written: `start` (the
 * conversation and the memories), `delta` (a piece of the reply), then `done` (the whole answer) or
 * `error`. Refusals (the day's limit, a conversation that is gone) arrive as ordinary JSON errors.
 * @param {{ message: string, conversation_id?: string }} body
 * @param {{ signal?: AbortSignal, onStart?: (start: { conversation_id: string, memories_used: MemoryUsed[] }) => void, onDelta?: (text: string) => void }} [options]
 * @returns {Promise<ChatAnswer>}
 */
async function chat(body, options = {}) {
  /** @type {Response} */
  let response;
  try {
    response = await fetch("/api/personal/chat", {
      method: "POST",
      credentials: "same-origin",
      headers: { accept: "text/event-stream", "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: options.signal,
    });
  } catch {
    throw new ApiError(0, "offline", OFFLINE_MESSAGE);
  }
  if (!response.ok || !response.body || !/^text\/event-stream/.test(response.headers.get("content-type") ?? "")) {
    const parsed = await response.json().catch(() => undefined);
    if (response.ok && parsed) return parsed;
    throw new ApiError(response.status, parsed?.error ?? "http_error", parsed?.message ?? `Something went wrong (HTTP ${response.status}). Try again in a moment.`);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const name = /^event: ?(.*)$/m.exec(block)?.[1];
      const data = [...block.matchAll(/^data: ?(.*)$/gm)].map((match) => match[1]).join("\n");
      if (!data) continue;
      const payload = JSON.parse(data);
      if (name === "start") options.onStart?.(payload);
      else if (name === "delta") options.onDelta?.(payload.text);
      else if (name === "done") return payload;
      else if (name === "error") throw new ApiError(503, payload.error, payload.message);
    }
  }
  throw new ApiError(0, "offline", "The reply was cut off. Try again in a moment.");
}
