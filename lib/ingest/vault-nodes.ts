import { createHash } from "node:crypto";
import type { ExportRecord } from "../exports";
import { textStart } from "../vectors/cluster-labels";

/**
 * One memory in `corpus/nodes.json`: an exchange of a conversation, or a profile fact (custom
 * instructions, saved memories). Row i of `vectors/nodes.npy` is the embedding of node i.
 */
export type VaultNode = (ExchangeNode | ProfileNode) & {
  /** Hex SHA-256 of the dedupe fields; a vault holds each hash at most once. */
  hash: string;
  upload_id: string;
};

type ExchangeNode = Omit<Extract<ExportRecord, { kind: "exchange" }>, never>;
type ProfileNode = Omit<Extract<ExportRecord, { kind: "profile" }>, never>;

/**
 * The dedupe key (human content, assistant content, conversation id):
 * the same exchange in a later export has the same hash, whatever else changed around it. Fields are
 * JSON-encoded together so that no two different triples can produce the same input.
 */
export function contentHash(record: ExportRecord): Buffer {
  const fields = record.kind === "exchange"
    ? ["exchange", record.conversation_id, record.human, record.assistant]
    : ["profile", record.source, record.profile_kind, record.label ?? "", record.text];
  return createHash("sha256").update(JSON.stringify(fields)).digest();
}

export function toVaultNode(record: ExportRecord, hash: Buffer, uploadId: string): VaultNode {
  return { ...record, hash: hash.toString("hex"), upload_id: uploadId };
}

/**
 * What gets embedded for a node: the conversation's title for context, both sides of the turn, then the
 * text of files the person attached (bounded by the reader), so search finds an exchange by its paste.
 * The attachments come last so that, when the input is cut to the model's limit, the turn itself stays.
 */
export function embeddingText(node: VaultNode): string {
  if (node.kind === "profile") return node.label ? `${node.label}: ${node.text}` : node.text;
  const title = node.conversation_title ? `${node.conversation_title}\n\n` : "";
  const attached = (node.attachments ?? []).filter((file) => file.text).map((file) => `\n\nAttached ${file.name}: ${file.text}`);
  return `${title}User: ${node.human}\n\nAssistant: ${node.assistant}${attached.join("")}`;
}

/** What the clusters' topic labels are drawn from, per node ({@link labelText}). */
export interface LabelText {
  id: string;
  title: string | null;
  text: string;
}

/** The characters of a node's text {@link labelText} keeps for the topic labels. */
export const LABEL_CHARS = 300;

/**
 * The short text a topic label is drawn from: the first `maxChars` of the prompt, a newline and the answer,
 * taken from the parts without joining them whole first (the merge takes it for every new node).
 */
export function labelText(node: VaultNode, maxChars = LABEL_CHARS): LabelText {
  // Cut where a word ends (one character more tells whether the cut falls in a word): the labeler would
  // take the part of a word the cut leaves ("whe") for a word.
  if (node.kind === "profile") return { id: node.id, title: null, text: textStart(node.text.slice(0, maxChars + 1), maxChars) };
  const { human, assistant } = node;
  const start = human.length >= maxChars ? human.slice(0, maxChars + 1) : `${human}\n${assistant.slice(0, maxChars - human.length)}`;
  return { id: node.id, title: node.conversation_title, text: textStart(start, maxChars) };
}
