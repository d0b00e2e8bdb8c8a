import type { VaultNode } from "../ingest/vault-nodes";

/** What BM25 reads of a memory: the conversation's title and both sides of the turn, or a profile fact. */
export function searchableText(node: VaultNode): string {
  if (node.kind === "profile") return node.label ? `${node.label}\n${node.text}` : node.text;
  return `${node.conversation_title ?? ""}\n${node.human}\n${node.assistant}`;
}
