import { anthropicMemoryDrafts, anthropicProjectDrafts, anthropicProjectMemoryDrafts } from "./anthropic-profile";
import { readAnthropicConversation } from "./anthropic-conversation";
import { SOURCE_OF_KIND, classifyElement } from "./classify-element";
import type { ConversationReading } from "./conversation-reading";
import { ExportFormatError } from "./export-format-error";
import { GeminiSessions, readGeminiActivity } from "./gemini-activity";
import { readGrokConversation } from "./grok-conversation";
import type { JsonElement } from "./json-elements";
import { asId, asObject, asTitle } from "./loose-json";
import { readOpenAiConversation } from "./openai-conversation";
import { type ProfileDraft, ProfileBook } from "./profiles";
import type { ExportRecord, ExportSource, ParseSummary } from "./records";

/** After this many unrecognised elements and none recognised, a conversations file is not one we know. */
const UNKNOWN_ELEMENTS_BEFORE_GIVING_UP = 10;

/**
 * Top-level members worth parsing. Everything else (Grok's `projects`, `tasks`, `media_posts`, wrapper
 * metadata) is scanned past without being parsed. The last two are Claude's memories.json as an object.
 */
export const WANTED_MEMBERS = new Set(["conversations", "conversations_memory", "project_memories"]);

export interface AssemblerOptions {
  includeDoNotRemember: boolean;
  geminiSessionGapMs: number;
}

/**
 * Turns the elements of every file of one export into records, and keeps what must hold across files:
 * the summary, profile facts already emitted, conversations already seen (split ChatGPT files may
 * overlap), the Gemini session in progress, and Claude project names for project memories.
 */
export class ExportAssembler {
  readonly summary: ParseSummary = { source: null, conversations: 0, exchanges: 0, profiles: 0, skipped: {}, files: [], bytes_read: 0, json_bytes: 0 };
  private readonly profiles = new ProfileBook();
  private readonly conversationKeys = new Set<string>();
  private readonly gemini: GeminiSessions;
  private readonly projectNames = new Map<string, string>();
  /** Conversation-bearing elements seen, read or skipped: zero means the upload held no conversations. */
  private conversationsFound = 0;
  private document = { strict: true, known: 0, unknown: 0, knownMembers: 0, unknownMembers: 0 };

  constructor(private readonly options: AssemblerOptions) {
    this.gemini = new GeminiSessions(options.geminiSessionGapMs);
  }

  readonly countSkip = (reason: string): void => {
    this.summary.skipped[reason] = (this.summary.skipped[reason] ?? 0) + 1;
  };

  /**
   * Starts a file. In a strict file (a bare upload, a zip's conversations file) unrecognised elements
   * mean an unknown format; in a side file (Claude's projects.json) they are only counted.
   */
  startDocument(file: string, strict: boolean): void {
    this.summary.files.push(file);
    this.document = { strict, known: 0, unknown: 0, knownMembers: 0, unknownMembers: 0 };
  }

  /** A member name of a top-level object: none we know means a JSON object that is not an export. */
  readonly noteMember = (key: string): void => {
    if (WANTED_MEMBERS.has(key)) this.document.knownMembers++;
    else this.document.unknownMembers++;
  };

  accept(element: JsonElement): ExportRecord[] {
    if (element.tooLarge) {
      this.conversationsFound++;
      this.countSkip("too_large");
      return [];
    }
    if (element.member) return this.acceptMember(element.key, element.value);
    const kind = classifyElement(element.value);
    if (kind === "unknown") return this.acceptUnknown();
    this.document.known++;
    this.summary.source ??= SOURCE_OF_KIND[kind];
    switch (kind) {
      case "openai_conversation":
        return this.conversation("openai", readOpenAiConversation(element.value, { includeDoNotRemember: this.options.includeDoNotRemember, countSkip: this.countSkip }));
      case "anthropic_conversation":
        return this.conversation("anthropic", readAnthropicConversation(element.value, this.countSkip));
      case "grok_conversation":
        return this.conversation("grok", readGrokConversation(element.value, this.countSkip));
      case "gemini_activity":
        return this.geminiActivity(element.value);
      case "anthropic_memory":
        return this.profileRecords("anthropic", anthropicMemoryDrafts(element.value, this.projectNames));
      case "anthropic_project":
        return this.project(element.value);
      case "anthropic_account":
        return [];
    }
  }

  /** Ends a file: a Gemini session cannot continue into another file. */
  endDocument(): ExportRecord[] {
    const { strict, known, unknown, knownMembers, unknownMembers } = this.document;
    const unrelatedObject = knownMembers === 0 && unknownMembers > 0;
    if (strict && known === 0 && (unknown > 0 || unrelatedObject) && this.conversationsFound === 0) throw unknownFormat();
    return this.gemini.finish().flatMap((reading) => this.conversation("gemini", reading));
  }

  /** Ends the export; throws when it held nothing to import, so "success" never means "nothing read". */
  finish(): void {
    if (this.conversationsFound > 0 || this.summary.profiles > 0) return;
    if ((this.summary.skipped.not_a_prompt ?? 0) > 0) {
      throw new ExportFormatError(
        "no_conversations",
        "This Gemini export has activity but no prompts we can read. Only English-language exports are supported for now: switch your Google account to English and export again.",
      );
    }
    throw new ExportFormatError(
      "no_conversations",
      "We could not find any conversations in this export. Check that you uploaded the complete file from ChatGPT, Claude, Grok or Gemini.",
    );
  }

  private acceptUnknown(): ExportRecord[] {
    this.document.unknown++;
    this.countSkip("unrecognised_record");
    if (this.document.strict && this.document.known === 0 && this.document.unknown >= UNKNOWN_ELEMENTS_BEFORE_GIVING_UP) throw unknownFormat();
    return [];
  }

  /** Claude's memories.json written as one object instead of an array of one. */
  private acceptMember(key: string | null, value: unknown): ExportRecord[] {
    if (key === "conversations_memory") return this.profileRecords("anthropic", anthropicMemoryDrafts({ conversations_memory: value }, this.projectNames));
    if (key === "project_memories") return this.profileRecords("anthropic", anthropicProjectMemoryDrafts(value, this.projectNames));
    return [];
  }

  private conversation(source: ExportSource, reading: ConversationReading): ExportRecord[] {
    this.conversationsFound++;
    const key = `${source}\u0000${reading.conversationId}`;
    if (this.conversationKeys.has(key)) {
      this.countSkip("duplicate_conversation");
      return [];
    }
    this.conversationKeys.add(key);
    if (reading.skipped !== undefined) this.countSkip(reading.skipped);
    if (reading.exchanges.length > 0) this.summary.conversations++;
    this.summary.exchanges += reading.exchanges.length;
    return [...this.profileRecords(source, reading.profile), ...reading.exchanges];
  }

  private geminiActivity(value: unknown): ExportRecord[] {
    const activity = readGeminiActivity(value);
    if ("skipped" in activity) {
      this.countSkip(activity.skipped);
      return [];
    }
    return this.gemini.add(activity.prompt).flatMap((reading) => this.conversation("gemini", reading));
  }

  private project(value: unknown): ExportRecord[] {
    const project = asObject(value) ?? {};
    const id = asId(project.uuid);
    const name = asTitle(project.name);
    if (id !== null && name !== null) this.projectNames.set(id, name);
    return this.profileRecords("anthropic", anthropicProjectDrafts(project));
  }

  private profileRecords(source: ExportSource, drafts: ProfileDraft[]): ExportRecord[] {
    const records: ExportRecord[] = [];
    for (const draft of drafts) {
      const record = this.profiles.admit(source, draft);
      if (record !== null) records.push(record);
    }
    this.summary.profiles += records.length;
    return records;
  }
}

function unknownFormat(): ExportFormatError {
  return new ExportFormatError("unknown_format", "This file is not a chat export we recognise: expected ChatGPT, Claude, Grok or Gemini data.");
}
