import { createHash, hash as cryptoHash } from "node:crypto";
import type { ExportRecord } from "../exports";
import { searchableLines } from "../search/searchable-text";
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
  /**
   * The record; for an exchange, with `human` and `assistant` emptied: they are in `texts`, and the
   * split holds a few thousand records in flight, whose texts would otherwise be most of what every
   * young-generation GC copies and promotes.
   */
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
export function hashRecord(record: ExportRecord, slab: ByteSlab = createByteSlab()): HashedRecord {
  if (record.kind !== "exchange") {
    const hash = contentHash(record);
    return { record, hash, hex: hash.toString("hex") };
  }
  // The framing, the texts and the closing bracket side by side in the slab, so one call hashes them all.
  const start = slab.mark();
  slab.write(`["exchange",${JSON.stringify(record.conversation_id)},`);
  const human = slab.write(JSON.stringify(record.human));
  slab.write(",");
  const assistant = slab.write(JSON.stringify(record.assistant));
  slab.write("]");
  const hash = cryptoHash("sha256", slab.since(start), "buffer");
  // The texts live on as their bytes in the slab; the record keeps its keys in their order (see encodedNodeLine).
  return { record: { ...record, human: "", assistant: "" }, hash, hex: hash.toString("hex"), texts: { human, assistant } };
}

/**
 * Strings written one after another into shared blocks of memory, each handed back as a view of its
 * UTF-8 bytes: an exchange's texts and the pieces of its line cost no allocation of their own, and
 * consecutive writes are consecutive bytes. A block lives as long as any view of it.
 */
export interface ByteSlab {
  /** `text` as UTF-8, in the slab. */
  write(text: string): Buffer;
  /** A position to take {@link since} from, before writes that must stay side by side. */
  mark(): SlabMark;
  /** The bytes written since `mark`, as one view (the writes since then share its block). */
  since(mark: SlabMark): Buffer;
}

export interface SlabMark {
  block: Buffer;
  at: number;
}

/**
 * Bytes per block: writes too big for a block's room get a block of their own size. Blocks this small
 * come from malloc's free lists, memory the process has touched before; 1 MiB blocks are fresh mappings,
 * every page of them faulted in (the hash and lines of 40,000 exchanges in a thread: 3,199 page faults
 * and 863 ms of CPU with 64 KiB blocks, 16,588 and 1,528 ms with 1 MiB).
 */
const SLAB_BYTES = 64 * 1024;

/**
 * A {@link ByteSlab} of `blockBytes` blocks. Writes after a `mark()` that outgrow their block move,
 * with what was written since the mark, into a new one, so `since()` is always one view.
 */
export function createByteSlab(blockBytes = SLAB_BYTES): ByteSlab {
  let block = Buffer.allocUnsafeSlow(blockBytes);
  let used = 0;
  let markedAt = -1;
  const room = (bytes: number) => {
    if (used + bytes <= block.length) return;
    // Keep what was written since the mark together: it moves into the new block.
    const carried = markedAt >= 0 ? block.subarray(markedAt, used) : Buffer.alloc(0);
    const next = Buffer.allocUnsafeSlow(Math.max(blockBytes, carried.length + bytes));
    carried.copy(next, 0);
    block = next;
    used = carried.length;
    if (markedAt >= 0) markedAt = 0;
  };
  return {
    write(text) {
      // A UTF-16 code unit is at most 3 bytes of UTF-8 (a surrogate pair, 2 units, is 4).
      room(3 * text.length);
      const from = used;
      used += block.write(text, used, "utf8");
      return block.subarray(from, used);
    },
    mark() {
      markedAt = used;
      return { block, at: used };
    },
    since(mark) {
      const view = mark.block === block ? block.subarray(mark.at, used) : block.subarray(0, used);
      markedAt = -1;
      return view;
    },
  };
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
export function encodedNodeLine(hashed: HashedRecord, uploadId: string, slab: ByteSlab = createByteSlab()): Buffer[] {
  const { record, hex, texts } = hashed;
  if (record.kind !== "exchange" || !texts) return wholeLine(hashed, uploadId);
  // The same keys in the same order as toVaultNode's spread: human and assistant keep their places.
  const skeleton = JSON.stringify({ ...record, human: HUMAN_MARK, assistant: ASSISTANT_MARK, hash: hex, upload_id: uploadId });
  const humanAt = skeleton.indexOf(HUMAN_FIELD);
  const assistantAt = skeleton.indexOf(ASSISTANT_FIELD);
  if (humanAt < 0 || assistantAt < 0) return wholeLine(hashed, uploadId);
  const spans = [
    { at: humanAt + '"human":'.length, end: humanAt + HUMAN_FIELD.length, bytes: texts.human },
    { at: assistantAt + '"assistant":'.length, end: assistantAt + ASSISTANT_FIELD.length, bytes: texts.assistant },
  ].sort((a, b) => a.at - b.at);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const span of spans) {
    pieces.push(slab.write(skeleton.slice(from, span.at)), span.bytes);
    from = span.end;
  }
  pieces.push(slab.write(skeleton.slice(from)));
  return pieces;
}

/** The node's whole line, encoded in one piece (an exchange's texts taken back from their bytes). */
function wholeLine({ record, hex, texts }: HashedRecord, uploadId: string): Buffer[] {
  const whole = texts && record.kind === "exchange" ? { ...record, human: JSON.parse(texts.human.toString("utf8")) as string, assistant: JSON.parse(texts.assistant.toString("utf8")) as string } : record;
  return [Buffer.from(JSON.stringify({ ...whole, hash: hex, upload_id: uploadId }), "utf8")];
}

/**
 * What gets embedded for a node: the conversation's title for context, both sides of the turn, then the
 * text of files the person attached (bounded by the reader), so search finds an exchange by its paste.
 * The attachments come last so that, when the input is cut to the model's limit, the turn itself stays.
 */
export function embeddingText(node: VaultNode): string {
  return embeddingPieces(node, (words) => words).join("");
}

/** The pieces {@link embeddingText} joins: the node's fields, and the words between them through `words`. */
function embeddingPieces(node: VaultNode, words: (text: string) => string): string[] {
  if (node.kind === "profile") return node.label ? [node.label, ": ", node.text] : [node.text];
  const title = node.conversation_title ? [node.conversation_title, "\n\n"] : [];
  const attached = (node.attachments ?? []).filter((file) => file.text).flatMap((file) => [words("\n\nAttached "), file.name, ": ", file.text!]);
  return [...title, words("User: "), node.human, words("\n\nAssistant: "), node.assistant, ...attached];
}

/**
 * A node's {@link embeddingText} and {@link searchableLines}, lower-cased, each field lower-cased once for
 * both (the local embedder and the lexical index each lower-cased a copy of the whole text): the
 * embedding text's pieces, and the lines. Lower-casing the fields one by one is lower-casing the texts
 * they are joined into: `toLowerCase` maps each character alone
 * (https://tc39.es/ecma262/#sec-string.prototype.tolowercase) except a capital sigma, whose context is
 * the letters around it (Final_Sigma, https://www.unicode.org/Public/UCD/latest/ucd/SpecialCasing.txt),
 * and that context never reaches across a space or a line break, which stand between every two fields.
 */
export function lowerCasedTexts(node: VaultNode): { embedding: string[]; search: string[] } {
  const lower = (text: string) => text.toLowerCase();
  const lowered: VaultNode =
    node.kind === "profile"
      ? { ...node, text: lower(node.text), ...(node.label && { label: lower(node.label) }) }
      : {
          ...node,
          conversation_title: node.conversation_title && lower(node.conversation_title),
          human: lower(node.human),
          assistant: lower(node.assistant),
          ...(node.attachments && { attachments: node.attachments.map((file) => ({ ...file, name: lower(file.name), ...(file.text && { text: lower(file.text) }) })) }),
        };
  return { embedding: embeddingPieces(lowered, lower), search: searchableLines(lowered) };
}

/** What the clusters' topic labels are drawn from, per node ({@link labelText}). */
export interface LabelText {
  id: string;
  title: string | null;
  text: string;
}

/** A {@link LabelText} whose text is still the UTF-8 bytes a chunk's search part carries it in (lib/ingest/vault-files.ts). */
export interface LabelBytes extends Omit<LabelText, "text"> {
  text: Buffer;
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
