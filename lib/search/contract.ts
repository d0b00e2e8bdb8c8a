/**
 * The search API's wire contract, written once: the query the HTTP route, the MCP tool and the CLI
 * accept, and the shapes they answer with. Server, CLI and tests import these.
 */
import { z } from "zod";
import type { ExportSource } from "../exports";

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
