/** What the README of an export states about the vault it was made from. */
export interface ExportFacts {
  version: number;
  memories: number;
  conversations: number;
  topics: number;
  dim: number;
  model: string;
  exportedAt: string;
}

/**
 * README.md of a vault export: what each file holds and how to read it, so the export is useful
 * without this service. The .npy layout is NumPy's own format
 * (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html).
 */
export function exportReadme(facts: ExportFacts): string {
  return `# Your Cogzy vault

Exported ${facts.exportedAt} from version ${facts.version} of your vault: ${facts.memories} memories from
${facts.conversations} conversations, in ${facts.topics} topics. Everything here is yours; nothing in it
needs Cogzy Vaults to be read.

## memories.md

Every memory as text a person reads: first the facts about you your assistants kept (custom
instructions, saved memories), then each conversation, newest first, turn by turn with its date.

## nodes.json

A JSON array with one object per memory, one object per line (\`[\`, then one memory per line joined by
\`,\`, then \`]\`), so it can be read whole or line by line. Memory *i* is row *i* of nodes.npy.

An exchange (one thing you said, and the answer to it):

| field | meaning |
|---|---|
| \`kind\` | \`"exchange"\` |
| \`id\` | 32 hex characters, the same in every export of the same turn |
| \`source\` | \`openai\` (ChatGPT), \`anthropic\` (Claude), \`grok\` or \`gemini\` |
| \`conversation_id\`, \`conversation_title\` | the conversation, as the source names it |
| \`sequence_index\` | the turn's position in its conversation, from 0 |
| \`created_at\` | when you sent it (ISO 8601), or null when the export did not say |
| \`human\`, \`assistant\` | your words, and the visible answer |
| \`model\` | the model that answered, when the export says |
| \`attachments\` | files you attached: \`name\`, and their \`text\` (up to 8,000 characters) when the export carries it |
| \`hash\` | SHA-256 (hex) of the conversation id and both texts: how re-imports recognise a memory |
| \`upload_id\` | the upload that brought it |

A profile fact has \`kind: "profile"\`, \`profile_kind\` (\`custom_instructions\`, \`saved_memory\`,
\`project_memory\`, \`project_instructions\`), an optional \`label\` and \`project_id\`, and its \`text\`.

## nodes.npy

The memories' embeddings: a NumPy .npy file (format version 1.0), little-endian float32, shape
(${facts.memories}, ${facts.dim}), row *i* the embedding of memory *i* of nodes.json, made by
\`${facts.model}\` from the conversation's title and both sides of the turn. Rows are L2-normalised, so a
dot product is the cosine similarity. In Python: \`numpy.load("nodes.npy")\`.

## clusters.json

The topics: \`clusters\` (each with \`id\`, \`size\`, \`label\`, \`terms\`, a shared conversation
\`title\` when there is one, and \`representative_ids\`, the memories closest to its centre) and
\`assignments\`, the topic id of every memory in nodes.json order. \`ids_digest\` is the SHA-256 of the
memory ids in that order, each followed by a newline.
`;
}
