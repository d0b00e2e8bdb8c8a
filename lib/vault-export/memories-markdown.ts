import { sourceName } from "../exports/source-names";
import type { VaultNode } from "../ingest/vault-nodes";
import type { MemoryTable } from "../search/memory-table";
import type { ConversationSummary } from "../vaults/version-view";


export interface MarkdownInput {
  memories: MemoryTable;
  /** The version's conversations, in the order they are written (newest first). */
  conversations: ConversationSummary[];
  /** Reads one row's node (rows are asked for in conversation order, so reads are mostly sequential). */
  node(row: number): Promise<VaultNode>;
  exportedAt: string;
  version: number;
}

/**
 * memories.md, piece by piece: the profile facts, then each conversation newest first with its turns
 * in order. Holds the row numbers of the version (4 bytes a memory), never the text of more than one
 * memory.
 */
export async function* memoriesMarkdown(input: MarkdownInput): AsyncGenerator<string> {
  const { memories } = input;
  yield `# Your memories\n\nExported ${input.exportedAt.slice(0, 10)} from version ${input.version} of your Cogzy vault: ${memories.rows} memories in ${input.conversations.length} conversations.\n`;

  const { profileRows, rowsOf } = groupRows(memories);
  if (profileRows.length > 0) {
    yield "\n## About you\n\nWhat your assistants were told or kept about you.\n\n";
    for (const row of profileRows) {
      const node = await input.node(row);
      if (node.kind !== "profile") continue;
      const label = [node.profile_kind.replace(/_/g, " "), node.label].filter(Boolean).join(": ");
      yield `- **${escapeInline(label)}** (${sourceName(node.source) ?? node.source}): ${quoteLines(node.text, "  ")}\n`;
    }
  }

  for (const conversation of input.conversations) {
    const rows = rowsOf.get(conversation.conversation_id);
    if (!rows) continue;
    // The title the latest export gave the conversation.
    const latest = await input.node(conversation.latestRow);
    const title = latest.kind === "exchange" ? latest.conversation_title : null;
    const dates = [conversation.firstMs, conversation.lastMs].filter((ms) => !Number.isNaN(ms)).map((ms) => new Date(ms).toISOString().slice(0, 10));
    const span = dates.length === 0 ? "undated" : dates[0] === dates[1] ? dates[0] : `${dates[0]} to ${dates[1]}`;
    yield `\n## ${escapeInline(title ?? "Untitled conversation")}\n\n`;
    yield `${sourceName(conversation.source) ?? conversation.source} · ${span} · ${conversation.memories} ${conversation.memories === 1 ? "memory" : "memories"} · conversation \`${conversation.conversation_id}\`\n`;
    const assistant = sourceName(conversation.source) ?? "Assistant";
    for (const turn of rows.sort((a, b) => memories.sequence(a) - memories.sequence(b) || a - b)) {
      const node = await input.node(turn);
      if (node.kind !== "exchange") continue;
      const when = node.created_at ? ` (${node.created_at.slice(0, 16).replace("T", " ")} UTC)` : "";
      yield `\n**You**${when}:\n\n${quoteLines(node.human, "")}\n`;
      for (const file of node.attachments ?? []) yield `\n*Attached: ${escapeInline(file.name)}*\n`;
      if (node.assistant) yield `\n**${assistant}**:\n\n${quoteLines(node.assistant, "")}\n`;
    }
  }
}

/** Every row by conversation, in one pass (a conversation's turns may sit in several segments). */
function groupRows(memories: MemoryTable): { profileRows: number[]; rowsOf: Map<string, number[]> } {
  const profileRows: number[] = [];
  const rowsOf = new Map<string, number[]>();
  for (let row = 0; row < memories.rows; row++) {
    const conversation = memories.conversationId(row);
    if (conversation === null) {
      profileRows.push(row);
      continue;
    }
    let rows = rowsOf.get(conversation);
    if (!rows) rowsOf.set(conversation, (rows = []));
    rows.push(row);
  }
  return { profileRows, rowsOf };
}

/** Text kept as written; continuation lines indented so a list item stays one item. */
function quoteLines(text: string, indent: string): string {
  return text.trim().replace(/\n/g, `\n${indent}`);
}

/** A title or label on one line, with Markdown's emphasis and heading characters taken literally. */
function escapeInline(text: string): string {
  return text.replace(/\s+/g, " ").replace(/([\\`*_#[\]])/g, "\\$1");
}
