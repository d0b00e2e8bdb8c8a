/**
 * What a chat export turns into. These shapes are the contract with the ingest pipeline and the
 * database (`source` matches a check constraint), so add fields rather than rename them.
 */

/** ChatGPT, Claude, Grok and Gemini, spelled as the database spells them. */
export type ExportSource = "openai" | "anthropic" | "grok" | "gemini";

/**
 * Characters of an attachment's text kept with its exchange (about 2,000 tokens of English). Enough for
 * search to find the exchange by what was pasted, without a pasted book inflating every copy of the
 * vault's corpus; the rest stays in the person's own export.
 */
export const MAX_ATTACHMENT_TEXT_CHARS = 8000;

/** A file the person attached to their message, as the export names it. */
export interface ExchangeAttachment {
  name: string;
  type?: string;
  size?: number;
  /**
   * The file's text when the export carries it (Claude's `extracted_content` for pasted and uploaded
   * text files), cut to {@link MAX_ATTACHMENT_TEXT_CHARS}. Not part of `human`: it is what the person
   * attached, not what they typed. Search matches it: it is embedded with the exchange, and a lexical
   * index should read `attachments[].text` too.
   */
  text?: string;
  /** Present (true) when `text` was cut to the limit. */
  text_truncated?: true;
}

/** One turn of a conversation: what the person said, and the visible answer to it. */
export interface ExchangeRecord {
  kind: "exchange";
  /** 32 hex characters, identical across re-exports of the same turn (see `record-id.ts`). */
  id: string;
  source: ExportSource;
  conversation_id: string;
  conversation_title: string | null;
  /** Position of the turn in its conversation, from 0. */
  sequence_index: number;
  /**
   * When the person sent the turn (ISO 8601). A turn the export left undated takes its answer's time,
   * else its conversation's; null only when none of them is dated (never the import time).
   */
  created_at: string | null;
  /** The person's words; consecutive messages merged. Attached files' text is in `attachments`. */
  human: string;
  /** The visible answer until the person's next turn; "" when the answer was not text (an image, a tool). */
  assistant: string;
  model?: string;
  attachments?: ExchangeAttachment[];
}

export type ProfileKind =
  /** ChatGPT custom instructions: what the person wants ChatGPT to know about them / how to answer. */
  | "custom_instructions"
  /** Facts the assistant saved about the person (ChatGPT memory, Claude's memory). */
  | "saved_memory"
  /** Claude's memory scoped to one project. */
  | "project_memory"
  /** Instructions the person wrote for a Claude project. */
  | "project_instructions";

/** A fact about the person that is not part of any one conversation; emitted once per export. */
export interface ProfileRecord {
  kind: "profile";
  /** 32 hex characters derived from the source, kind, label and text. */
  id: string;
  source: ExportSource;
  profile_kind: ProfileKind;
  /** Which field the text came from, e.g. "about_user", "response_style", or a project's name. */
  label?: string;
  project_id?: string;
  text: string;
  /** Exports do not date these facts, so this is null unless the source says when. */
  created_at: string | null;
}

export type ExportRecord = ExchangeRecord | ProfileRecord;

/** Counts for the person and the logs; final once iteration has finished. */
export interface ParseSummary {
  /** The first source detected; null until detection succeeded. */
  source: ExportSource | null;
  /** Conversations that produced at least one exchange. */
  conversations: number;
  exchanges: number;
  profiles: number;
  /** Reason -> count, for conversations and records left out (e.g. `do_not_remember`, `not_a_prompt`). */
  skipped: Record<string, number>;
  /** The files read: the upload's name, or the zip entries that held conversations. */
  files: string[];
  /** Bytes taken from the byte source (compressed bytes, for a zip). */
  bytes_read: number;
  /** JSON bytes scanned (after decompression). */
  json_bytes: number;
}

/** Bounds that keep a hostile or broken upload from taking unbounded memory or time. */
export interface ReadLimits {
  /** Zip entries in the central directory. */
  maxZipEntries: number;
  /** Sum of the decompressed sizes of the entries we read. */
  maxDecompressedBytes: number;
  /** Decompressed / compressed size of one entry, checked once the entry is larger than `ratioCheckBytes`. */
  maxCompressionRatio: number;
  ratioCheckBytes: number;
  /** One top-level JSON element (one conversation); larger ones are skipped and counted. */
  maxElementBytes: number;
  /** Nesting depth of arrays and objects; deeper input is refused. */
  maxDepth: number;
}

export const DEFAULT_LIMITS: ReadLimits = {
  maxZipEntries: 250_000,
  maxDecompressedBytes: 32 * 1024 ** 3,
  // Chat JSON deflates 5-20x; generated repetitive JSON reaches ~100x. Zip bombs sit near deflate's 1032x.
  maxCompressionRatio: 200,
  ratioCheckBytes: 8 * 1024 ** 2,
  // Single ChatGPT conversations reach ~18 MB; leave room for inline images and long pastes.
  maxElementBytes: 256 * 1024 ** 2,
  maxDepth: 512,
};

export interface ReadExportOptions {
  /** Keep ChatGPT conversations the person marked "do not remember" (default false: skipped, counted). */
  includeDoNotRemember?: boolean;
  /** Gemini has no conversations; prompts closer together than this form one session. Default 30 min. */
  geminiSessionGapMinutes?: number;
  limits?: Partial<ReadLimits>;
}
