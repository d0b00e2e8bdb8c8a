/**
 * The personal API's wire contract, written once: what each route of `functions/manifest.ts` takes
 * (zod schemas, which the handlers parse with) and what it answers (types, which the handlers'
 * answers must satisfy). The handlers, the CLI, the tests and the web app all import it; the web app
 * imports only types, so no zod reaches the browser.
 *
 * Nothing here may import Node-only code: the web app's type-check reads this file too.
 */
import { z } from "zod";
import type { ExportSource } from "../exports/records";
import type { Feature, Plan, Tier } from "../tiers/tiers";

export type { ExportSource, Feature, Plan, Tier };

// ---- requests ----

/** Sign-up and log-in bodies. E-mail checks are lenient on case and surrounding spaces, strict on shape. */
export const credentialsSchema = z.object({
  email: z.string().trim().toLowerCase().pipe(z.email({ message: "Enter a valid e-mail address." })).pipe(z.string().max(254)),
  password: z.string({ message: "Enter a password." }).min(1, "Enter a password.").max(1000),
});

/** `POST /vault/uploads`. */
export const createUploadSchema = z.object({
  filename: z.string().trim().min(1, "Give the file's name.").max(500),
  size: z.number({ message: "Give the file's size in bytes." }).int().nonnegative().max(50 * 1024 ** 3, "Files over 50 GB are not accepted."),
  content_type: z.string().max(200).optional(),
  /** Bring back memories the vault forgot, if this export holds them (they are skipped otherwise). */
  include_forgotten: z.boolean().optional(),
});

/** `POST /vault/uploads/{upload_id}/complete`: the ETag the store answered for each part. */
export const completeUploadSchema = z.object({
  parts: z.array(z.object({ part_number: z.number().int().min(1).max(10_000), etag: z.string().min(1).max(200) })).min(1).max(10_000),
});

/** Routes that name one upload. */
export const uploadPathSchema = z.object({ upload_id: z.uuid({ message: "No such upload." }) });

/** `POST /billing/checkout` takes no options yet; `{}` (a JSON body keeps cookie-borne writes same-site). */
export const checkoutSchema = z.object({}).optional();

// ---- answers ----

/** A refusal: a stable code and a sentence for the person, sometimes with the field or limits it concerns. */
export interface ApiErrorBody {
  error: string;
  message: string;
  field?: string;
  [detail: string]: unknown;
}

/** Sign-up (201) and log-in (200). The same token is also set as the HttpOnly `session_id` cookie. */
export interface Session {
  user_id: string;
  email: string;
  token: string;
  expires_at: string;
}

/** `empty` until the first memories are in, `syncing` while an upload is being processed. */
export type VaultState = "empty" | "syncing" | "ready" | "error";

export interface VaultSummary {
  prefix: string;
  status: VaultState;
  node_count: number;
  /** The exports kept in the vault plus its memories' text, vectors and topic index, in bytes. */
  total_bytes: number;
}

/** `GET /usage`, and `usage` inside `GET /me`. */
export interface Usage {
  tier: Tier;
  messages_used: number;
  /** `null` is unlimited. */
  messages_limit: number | null;
  messages_remaining: number | null;
  /** The next UTC midnight, when the count starts again (ISO 8601). */
  resets_at: string;
  vault_bytes: number;
  vault_limit_bytes: number;
  features: Feature[];
}

/** `GET /me`. */
export interface Me {
  user_id: string;
  email: string;
  tier: Tier;
  vault: VaultSummary;
  usage: Usage;
}

export type Plans = Record<Tier, Plan>;

export interface Embedder {
  embedder: string;
  model: string | null;
  dim: number | null;
}

export interface VaultDetail extends VaultSummary {
  last_sync_at: string | null;
  version: number;
  embedder: Embedder | null;
}

export type UploadStatus = "pending" | "processing" | "complete" | "failed";
/** Where the pipeline is; clients show an unknown phase by its status. */
export type UploadPhase = "awaiting_upload" | "queued" | "parsing" | "embedding" | "merging" | "done" | "failed";

/** `GET /vault/upload/{upload_id}`, and each of `uploads` in `GET /vault/status`. */
export interface UploadView {
  upload_id: string;
  filename: string | null;
  /** `openai`, `anthropic`, `grok`, `gemini` once recognised. */
  source_type: string | null;
  status: UploadStatus;
  phase: UploadPhase;
  progress_pct: number;
  bytes: number;
  exchanges_found: number;
  profiles_found: number;
  nodes_created: number;
  nodes_deduplicated: number;
  chunks_done: number;
  chunks_total: number;
  /** The earlier upload of the very same file, when this one was a byte-for-byte repeat. */
  duplicate_of: string | null;
  error_message: string | null;
  timings: Record<string, number | string>;
  uploaded_at: string;
  completed_at: string | null;
  /** The person forgot what this upload added (`DELETE /vault/uploads/{id}`): how many memories went, and when. */
  forgotten: { memories: number; at: string } | null;
}

/** `GET /vault/status`: the vault's figures and its recent uploads, newest first. */
export interface VaultStatus {
  vault: VaultDetail;
  uploads: UploadView[];
}

/** `POST /vault/uploads` for a file small enough for one PUT. Send exactly `headers` with it. */
export interface SinglePutTarget {
  upload_id: string;
  key: string;
  method: "PUT";
  url: string;
  headers: Record<string, string>;
  expires_at: string;
}

export interface PartTarget {
  part_number: number;
  size: number;
  url: string;
}

/** `POST /vault/uploads` for a large file: PUT each part to its URL, then complete with the ETags. */
export interface MultipartTarget {
  upload_id: string;
  key: string;
  method: "multipart";
  part_size: number;
  parts: PartTarget[];
  expires_at: string;
}

export type UploadTarget = SinglePutTarget | MultipartTarget;

/** A part the store has taken, named by the ETag it answered. */
export type CompletedPart = z.input<typeof completeUploadSchema>["parts"][number];

export interface CompletedUpload {
  upload_id: string;
  status: string;
}

export interface CheckoutSession {
  url: string;
  session_id: string;
}

// ---- access tokens ----

/** `POST /tokens`. */
export const createTokenSchema = z.object({ name: z.string().trim().min(1, "Give the token a name, e.g. the client it is for.").max(100) });

/** Routes that name one access token. */
export const tokenPathSchema = z.object({ token_id: z.uuid({ message: "There is no such access token." }) });

/** A personal access token as listed: never the secret itself. */
export interface AccessTokenView {
  id: string;
  name: string;
  /** The token's first characters, to tell tokens apart. */
  prefix: string;
  scope: "read";
  created_at: string;
  last_used_at: string | null;
}

/** `POST /tokens` (201): the token itself, shown this once. */
export type CreatedAccessToken = AccessTokenView & { token: string };

// ---- memory search ----

/** Routes that name one memory. */
export const memoryPathSchema = z.object({ memory_id: z.string().max(64) });

export const MAX_QUERY_CHARS = 2000;
export const MAX_K = 50;
export const DEFAULT_K = 10;

const SOURCES = ["openai", "anthropic", "grok", "gemini"] as const satisfies readonly ExportSource[];

/** `2024-05-01` or a full ISO 8601 timestamp. A bare date as `to` means the end of that day (UTC). */
const isoDate = (edge: "start" | "end") =>
  z
    .string()
    .trim()
    .refine((value) => /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) && !Number.isNaN(Date.parse(value)), {
      message: "must be an ISO date such as 2024-05-01 or 2024-05-01T12:00:00Z",
    })
    .transform((value) => (/^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) + (edge === "end" ? 86_400_000 - 1 : 0) : Date.parse(value)));

/** The search options every entry point shares (the query text itself is named per entry point). */
export const searchOptionsShape = {
  k: z.coerce.number().int().min(1).max(MAX_K).default(DEFAULT_K),
  source: z.enum(SOURCES).optional(),
  from: isoDate("start").optional(),
  to: isoDate("end").optional(),
  conversation_id: z.string().min(1).max(200).optional(),
  kind: z.enum(["exchange", "profile"]).optional(),
};

export const queryText = z
  .string()
  .trim()
  .min(1, "Type something to search for.")
  .max(MAX_QUERY_CHARS, `A search can be at most ${MAX_QUERY_CHARS} characters.`);

/** `GET /api/personal/vault/search?q=…&k=…&source=…&from=…&to=…&conversation_id=…&kind=…` */
export const searchQuerySchema = z.object({ q: queryText, ...searchOptionsShape });
export type SearchQuery = z.infer<typeof searchQuerySchema>;
/** The query as a client writes it (dates as ISO text, `k` a number). */
export type SearchQueryInput = { q: string; k?: number; source?: ExportSource; from?: string; to?: string; conversation_id?: string; kind?: "exchange" | "profile" };

export interface MemoryResult {
  id: string;
  kind: "exchange" | "profile";
  source: ExportSource;
  /** For an exchange: what the person said and the answer. For a profile fact: the fact, and "" . */
  human: string;
  assistant: string;
  conversation_id: string | null;
  conversation_title: string | null;
  /** When it was said, as the export recorded it (date filters use this). */
  created_at: string | null;
  /** When it arrived in the vault (the upload that brought it was merged). */
  imported_at: string | null;
  /** A link to the conversation at its provider, where there is one. */
  source_url: string | null;
  /** A short excerpt with the query's words in `**bold**`. */
  snippet: string;
  /** Reciprocal-rank-fusion score of the vector and lexical rankings (higher is better). */
  score: number;
  /** Present on profile facts: which kind of fact (custom instructions, saved memory, …) and its label. */
  profile_kind?: string;
  label?: string | null;
}

export interface SearchResponse {
  results: MemoryResult[];
  /** The vault version searched (0: nothing uploaded yet). */
  version: number;
  took_ms: number;
}

/** `GET /api/personal/vault/memories/{id}`: the memory and its neighbours in the same conversation. */
export interface MemoryResponse {
  memory: Omit<MemoryResult, "score" | "snippet">;
  /** The turns just before and after it in its conversation, in order (the memory itself excluded). */
  before: Omit<MemoryResult, "score" | "snippet">[];
  after: Omit<MemoryResult, "score" | "snippet">[];
  version: number;
}

/** The domain filters of parsed search options. */
export function searchFilters(options: { source?: ExportSource; from?: number; to?: number; conversation_id?: string; kind?: "exchange" | "profile" }) {
  return {
    ...(options.source ? { source: options.source } : {}),
    ...(options.kind ? { kind: options.kind } : {}),
    ...(options.conversation_id ? { conversationId: options.conversation_id } : {}),
    ...(options.from !== undefined ? { fromMs: options.from } : {}),
    ...(options.to !== undefined ? { toMs: options.to } : {}),
  };
}

// ---- chat ----

export const MAX_MESSAGE_CHARS = 8_000;

/** `POST /chat`: a message, in a new conversation or continuing one of the caller's. */
export const chatRequestSchema = z.object({
  message: z.string().trim().min(1, "Type a message.").max(MAX_MESSAGE_CHARS, `A message can be at most ${MAX_MESSAGE_CHARS} characters.`),
  conversation_id: z.uuid("conversation_id must be the id of one of your conversations.").optional(),
});
export type ChatRequestBody = z.infer<typeof chatRequestSchema>;

/** Routes that name one chat conversation. */
export const conversationParamsSchema = z.object({
  conversation_id: z.uuid({ message: "There is no such conversation." }),
});

/** `GET /chat/conversations?limit=`. */
export const conversationListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** `memories_used` in a chat answer: the memories the prompt held, best first (open one by its `id`). */
export interface MemoryUsed {
  id: string;
  /** A profile fact has no conversation: it is named as such. Absent from answers stored before it was kept. */
  kind?: "exchange" | "profile";
  conversation_title: string | null;
  created_at: string | null;
  source: string;
  score: number;
  snippet: string;
}

/** `POST /chat` → this (and the `done` event of a streamed answer). */
export interface ChatAnswer {
  conversation_id: string;
  reply: string;
  memories_used: MemoryUsed[];
  /** The plan's usage after this message, as `GET /usage` shows it. */
  usage: Usage;
  model: string;
}

/**
 * `POST /chat` with `Accept: text/event-stream`: `start`, then a `delta` per piece of the reply, then
 * `done` with the whole answer, or `error` if the model failed half-way (nothing counted or saved).
 */
export type ChatStreamEvent =
  | { event: "start"; data: { conversation_id: string; memories_used: MemoryUsed[] } }
  | { event: "delta"; data: { text: string } }
  | { event: "done"; data: ChatAnswer }
  | { event: "error"; data: ApiErrorBody };

export interface ConversationSummary {
  id: string;
  title: string;
  created_at: string;
  updated_at: string;
  message_count: number;
}

export interface StoredMessage {
  id: number;
  role: "user" | "assistant";
  content: string;
  created_at: string;
  /** For an answer: the memories its prompt held, and the model that wrote it. */
  memories_used?: MemoryUsed[];
  model?: string;
}

/** `GET /chat/conversations/{conversation_id}`: the conversation with its messages, oldest first. */
export interface ConversationDetail extends Omit<ConversationSummary, "message_count"> {
  messages: StoredMessage[];
}

// ---- memory control: browse, export, account deletion ----
// The routes that let a person see, take away and remove what their vault holds.

export const MAX_PAGE = 100;
export const DEFAULT_PAGE = 50;

const pageLimit = z.coerce.number().int().min(1).max(MAX_PAGE).default(DEFAULT_PAGE);
const cursor = z.string().max(500).optional();

/** `GET /api/personal/vault/memories?cursor=&limit=&source=&conversation_id=&cluster=` */
export const memoriesQuerySchema = z.object({
  cursor,
  limit: pageLimit,
  source: z.enum(SOURCES).optional(),
  conversation_id: z.string().min(1).max(200).optional(),
  cluster: z.coerce.number().int().min(0).max(10_000).optional(),
});
export type MemoriesQuery = z.infer<typeof memoriesQuerySchema>;

/** `GET /api/personal/vault/conversations?cursor=&limit=&source=` */
export const conversationsQuerySchema = z.object({ cursor, limit: pageLimit, source: z.enum(SOURCES).optional() });
export type ConversationsQuery = z.infer<typeof conversationsQuerySchema>;

/** One memory as browse shows it: what search shows, without score and snippet, plus where it came from. */
export interface MemoryItem extends Omit<MemoryResult, "score" | "snippet"> {
  /** The upload that brought it (`DELETE /vault/uploads/{id}` forgets everything that upload added). */
  upload_id: string;
  /** Its topic: an id of `GET /vault/topics`, null when the version has no clusters. */
  cluster: number | null;
}

/** A page, newest first; pass `next_cursor` back as `cursor` for the next one (null: that was the last). */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
  /** How many match the filters in the whole version. */
  total: number;
  /** The vault version read (0: nothing imported yet). */
  version: number;
}

export interface ConversationItem {
  conversation_id: string;
  title: string | null;
  source: (typeof SOURCES)[number];
  memories: number;
  first_at: string | null;
  last_at: string | null;
}

export interface TopicItem {
  id: number;
  label: string;
  size: number;
  terms: string[];
  /** Titles of conversations among the topic's most typical memories, a few at most. */
  examples: string[];
}

/** `GET /api/personal/vault/topics`: the version's topic clusters (its clusters.json, without per-memory assignments). */
export interface TopicsResponse {
  topics: TopicItem[];
  node_count: number;
  version: number;
  computed_at: string | null;
}

/** `POST /api/personal/vault/export`: a link to a zip of the current version, valid for a short time. */
export interface ExportResponse {
  /** A presigned GET of the zip; anyone holding it can download it until `expires_at`. */
  url: string;
  expires_at: string;
  version: number;
  bytes: number;
  file_name: string;
}

/** `DELETE /api/personal/me`: the password, typed again, confirms that the account is to be deleted. */
export const deleteAccountSchema = z.object({
  password: z.string({ message: "Type your password to delete your account." }).min(1, "Type your password to delete your account.").max(1000),
});

/** `DELETE /api/personal/vault`: the password, typed again, confirms that every memory is to be deleted. */
export const emptyVaultSchema = z.object({
  password: z.string({ message: "Type your password to empty your vault." }).min(1, "Type your password to empty your vault.").max(1000),
});

/** `DELETE /api/personal/vault` → 202: the vault is empty from now on; its files are being deleted. */
export interface EmptyVaultResponse {
  /** The vault's version from now on (it holds no memories). */
  version: number;
  /** Uploads that were still in flight, cancelled with their rows. */
  cancelled_uploads: number;
}

// ---- forgetting ----

/** `DELETE /vault/conversations/{conversation_id}`: a conversation id as the export names it. */
export const conversationPathSchema = z.object({ conversation_id: z.string().min(1).max(200) });
/** `POST /vault/forgets/{forget_id}/restore`. */
export const forgetPathSchema = z.object({ forget_id: z.uuid({ message: "No such forget." }) });

/** A request to forget memories, as the API shows it (`DELETE` of a memory, conversation or upload; `GET /vault/forgets`). */
export interface ForgetView {
  forget_id: string;
  kind: "memory" | "conversation" | "upload";
  /** The memory id, conversation id or upload id it names. */
  target: string;
  /** `pending` until the vault's new version without those memories is current (seconds, usually). */
  state: "pending" | "complete" | "failed";
  /** How many memories it removed. */
  memories: number;
  /** The vault version without them. */
  version: number | null;
  error_message: string | null;
  requested_at: string;
  completed_at: string | null;
  /** When the person allowed those memories back (a re-import brings them back from then on). */
  restored_at: string | null;
}

/** `DELETE /vault/memories/{id}`, `/vault/conversations/{id}`, `/vault/uploads/{id}` (a complete upload): 202. */
export interface ForgetResponse {
  forget: ForgetView;
}

/** `POST /vault/forgets/{id}/restore`. */
export interface RestoreResponse {
  forget: ForgetView;
  /** How many forgotten exchanges a re-import may bring back from now on. */
  allowed_again: number;
}

// ---- the routes ----

/**
 * Every route of `functions/manifest.ts`, by its manifest key: what goes in (`body`, `query`) and what
 * comes out (`response`; `void` for 204). Path parameters come from the `{name}`s in the key.
 * `test/unit/api-contract.test.ts` fails when a manifest route is missing here.
 */
export interface ApiContract {
  "POST /api/personal/auth/signup": { body: z.input<typeof credentialsSchema>; response: Session };
  "POST /api/personal/auth/login": { body: z.input<typeof credentialsSchema>; response: Session };
  "POST /api/personal/auth/logout": { response: void };
  "GET /api/personal/me": { response: Me };
  "POST /api/personal/vault/uploads": { body: z.input<typeof createUploadSchema>; response: UploadTarget };
  "POST /api/personal/vault/uploads/{upload_id}/complete": { body: z.input<typeof completeUploadSchema>; response: CompletedUpload };
  /** 204 for an upload cancelled or dismissed; 202 with the forget for a complete one. */
  "DELETE /api/personal/vault/uploads/{upload_id}": { response: ForgetResponse | void };
  "GET /api/personal/vault/upload/{upload_id}": { response: UploadView };
  "GET /api/personal/vault/status": { response: VaultStatus };
  "GET /api/personal/vault/search": { query: SearchQueryInput; response: SearchResponse };
  "GET /api/personal/vault/memories/{memory_id}": { response: MemoryResponse };
  "DELETE /api/personal/vault/memories/{memory_id}": { response: ForgetResponse };
  "DELETE /api/personal/vault/conversations/{conversation_id}": { response: ForgetResponse };
  "GET /api/personal/vault/forgets": { response: { forgets: ForgetView[] } };
  "POST /api/personal/vault/forgets/{forget_id}/restore": { body: Record<string, never>; response: RestoreResponse };
  "POST /api/personal/tokens": { body: z.input<typeof createTokenSchema>; response: CreatedAccessToken };
  "GET /api/personal/tokens": { response: { tokens: AccessTokenView[] } };
  "DELETE /api/personal/tokens/{token_id}": { response: void };
  /** MCP's streamable HTTP transport: JSON-RPC in and out (https://modelcontextprotocol.io/specification/2025-06-18/basic/transports). */
  "POST /mcp": { body: unknown; response: unknown };
  "GET /mcp": { response: unknown };
  "GET /api/personal/plans": { response: Plans };
  "GET /api/personal/usage": { response: Usage };
  "POST /api/personal/billing/checkout": { body: z.input<typeof checkoutSchema>; response: CheckoutSession };
  /** JSON, or with `Accept: text/event-stream` the {@link ChatStreamEvent}s. */
  "POST /api/personal/chat": { body: z.input<typeof chatRequestSchema>; response: ChatAnswer };
  "GET /api/personal/chat/conversations": { query: { limit?: number }; response: { conversations: ConversationSummary[] } };
  "GET /api/personal/chat/conversations/{conversation_id}": { response: ConversationDetail };
  "DELETE /api/personal/chat/conversations/{conversation_id}": { response: void };
  /** Signed callbacks: the body is B2's or Stripe's, checked against its signature, not a schema of ours. */
  "POST /webhooks/b2": { body: unknown; response: Record<string, unknown> };
  "POST /webhooks/stripe": { body: unknown; response: Record<string, unknown> };
  "GET /api/personal/vault/memories": { query: z.input<typeof memoriesQuerySchema>; response: Page<MemoryItem> };
  "GET /api/personal/vault/conversations": { query: z.input<typeof conversationsQuerySchema>; response: Page<ConversationItem> };
  "GET /api/personal/vault/topics": { response: TopicsResponse };
  "POST /api/personal/vault/export": { body: Record<string, never>; response: ExportResponse };
  /** 204 once every file and row of the account is gone. */
  "DELETE /api/personal/me": { body: z.input<typeof deleteAccountSchema>; response: void };
  "DELETE /api/personal/vault": { body: z.input<typeof emptyVaultSchema>; response: EmptyVaultResponse };
}

export type RouteKey = keyof ApiContract;

/** Every key of {@link ApiContract}, at run time (the compiler keeps this list and the interface equal). */
export const ROUTE_KEYS = Object.keys({
  "POST /api/personal/auth/signup": true,
  "POST /api/personal/auth/login": true,
  "POST /api/personal/auth/logout": true,
  "GET /api/personal/me": true,
  "POST /api/personal/vault/uploads": true,
  "POST /api/personal/vault/uploads/{upload_id}/complete": true,
  "DELETE /api/personal/vault/uploads/{upload_id}": true,
  "GET /api/personal/vault/upload/{upload_id}": true,
  "GET /api/personal/vault/status": true,
  "GET /api/personal/vault/search": true,
  "GET /api/personal/vault/memories/{memory_id}": true,
  "DELETE /api/personal/vault/memories/{memory_id}": true,
  "DELETE /api/personal/vault/conversations/{conversation_id}": true,
  "GET /api/personal/vault/forgets": true,
  "POST /api/personal/vault/forgets/{forget_id}/restore": true,
  "POST /api/personal/tokens": true,
  "GET /api/personal/tokens": true,
  "DELETE /api/personal/tokens/{token_id}": true,
  "POST /mcp": true,
  "GET /mcp": true,
  "GET /api/personal/plans": true,
  "GET /api/personal/usage": true,
  "POST /api/personal/billing/checkout": true,
  "POST /api/personal/chat": true,
  "GET /api/personal/chat/conversations": true,
  "GET /api/personal/chat/conversations/{conversation_id}": true,
  "DELETE /api/personal/chat/conversations/{conversation_id}": true,
  "POST /webhooks/b2": true,
  "POST /webhooks/stripe": true,
  "GET /api/personal/vault/memories": true,
  "GET /api/personal/vault/conversations": true,
  "GET /api/personal/vault/topics": true,
  "POST /api/personal/vault/export": true,
  "DELETE /api/personal/me": true,
  "DELETE /api/personal/vault": true,
} satisfies Record<RouteKey, true>) as RouteKey[];

type ParamNames<Path extends string> = Path extends `${string}{${infer Name}}${infer Rest}` ? Name | ParamNames<Rest> : never;

/** The path parameters a route's key names, as strings. */
export type ParamsOf<K extends RouteKey> = { [Name in ParamNames<K>]: string };
export type BodyOf<K extends RouteKey> = ApiContract[K] extends { body: infer Body } ? Body : undefined;
export type QueryOf<K extends RouteKey> = ApiContract[K] extends { query: infer Query } ? Query : undefined;
export type ResponseOf<K extends RouteKey> = ApiContract[K]["response"];
