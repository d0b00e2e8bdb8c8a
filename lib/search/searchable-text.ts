import type { VaultNode } from "../ingest/vault-nodes";

/** What BM25 reads of a memory: the conversation's title and both sides of the turn, or a profile fact. */
export function searchableText(node: VaultNode): string {
  return searchableLines(node).join("\n");
}

/** {@link searchableText} as the lines it joins (each may hold line breaks of its own). */
export function searchableLines(node: VaultNode): string[] {
  if (node.kind === "profile") return node.label ? [node.label, node.text] : [node.text];
  return [node.conversation_title ?? "", node.human, node.assistant];
}
