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
 * A record with its {@link contentHash}, and, for an exchange, its two texts as JSON strings in UTF-8:
 * the bytes the hash was taken over, which its chunk line ({@link encodedNodeLine}) is made of too.
 */
export interface HashedRecord {
  record: ExportRecord;
  hash: Buffer;
  /** The hash as 64 hex characters (a node's `hash`). */
  hex: string;
  /** `JSON.stringify(human)` and `JSON.stringify(assistant)` as UTF-8, for an exchange. */
  texts?: { human: Buffer; assistant: Buffer };
}

/**
 * {@link contentHash} of a record, keeping the JSON of an exchange's texts for its line. An exchange's
 * texts are most of its bytes: hashing them, then writing the node's line, used to escape (JSON) and
 * encode (UTF-8) each of them twice. The bytes hashed are exactly `JSON.stringify` of the same array,
 * because a string's JSON text is the same wherever it stands in a document
 * (https://tc39.es/ecma262/#sec-quotejsonstring).
 */
export function hashRecord(record: ExportRecord): HashedRecord {
  if (record.kind !== "exchange") {
    const hash = contentHash(record);
    return { record, hash, hex: hash.toString("hex") };
  }
  const human = Buffer.from(JSON.stringify(record.human), "utf8");
  const assistant = Buffer.from(JSON.stringify(record.assistant), "utf8");
  const hash = createHash("sha256")
    .update(`["exchange",${JSON.stringify(record.conversation_id)},`)
    .update(human)
    .update(",")
    .update(assistant)
    .update("]")
    .digest();
  return { record, hash, hex: hash.toString("hex"), texts: { human, assistant } };
}

/** Stand-ins for an exchange's texts in its line's skeleton: their JSON (`"\u0000…"`) can only be theirs. */
const HUMAN_MARK = "\u0000human\u0000";
const ASSISTANT_MARK = "\u0000assistant\u0000";
const HUMAN_FIELD = `"human":${JSON.stringify(HUMAN_MARK)}`;
const ASSISTANT_FIELD = `"assistant":${JSON.stringify(ASSISTANT_MARK)}`;

/**
 * The node's JSON text as UTF-8 (`JSON.stringify(toVaultNode(record, hash, uploadId))`, byte for byte),
 * in pieces: for an exchange, the JSON of everything but its two texts, with the texts' JSON bytes
 * {@link hashRecord} kept spliced in where they stand, so neither text is escaped or encoded again.
 * `"human":"\u0000…` can only be the field: inside a string's JSON every `"` is escaped.
 */
export function encodedNodeLine(hashed: HashedRecord, uploadId: string): Buffer[] {
  const { record, hex, texts } = hashed;
  const wholeLine = () => [Buffer.from(JSON.stringify({ ...record, hash: hex, upload_id: uploadId }), "utf8")];
  if (record.kind !== "exchange" || !texts) return wholeLine();
  // The same keys in the same order as toVaultNode's spread: human and assistant keep their places.
  const skeleton = JSON.stringify({ ...record, human: HUMAN_MARK, assistant: ASSISTANT_MARK, hash: hex, upload_id: uploadId });
  const humanAt = skeleton.indexOf(HUMAN_FIELD);
  const assistantAt = skeleton.indexOf(ASSISTANT_FIELD);
  if (humanAt < 0 || assistantAt < 0) return wholeLine();
  const spans = [
    { at: humanAt + '"human":'.length, end: humanAt + HUMAN_FIELD.length, bytes: texts.human },
    { at: assistantAt + '"assistant":'.length, end: assistantAt + ASSISTANT_FIELD.length, bytes: texts.assistant },
  ].sort((a, b) => a.at - b.at);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const span of spans) {
    pieces.push(Buffer.from(skeleton.slice(from, span.at), "utf8"), span.bytes);
    from = span.end;
  }
  pieces.push(Buffer.from(skeleton.slice(from), "utf8"));
  return pieces;
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
