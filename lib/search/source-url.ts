import type { ExportSource } from "../exports";

/**
 * A link back to the original conversation, where the provider has one, so an answer can cite it:
 * ChatGPT `https://chatgpt.com/c/<id>`, Claude `https://claude.ai/chat/<uuid>`, Grok
 * `https://grok.com/chat/<id>`. Gemini's activity export has no conversation to link to, and ids the
 * reader had to derive (exports without one) point nowhere, so both are null.
 */
const BASES: Partial<Record<ExportSource, string>> = {
  openai: "https://chatgpt.com/c/",
  anthropic: "https://claude.ai/chat/",
  grok: "https://grok.com/chat/",
};

export function sourceUrl(source: ExportSource, conversationId: string | undefined): string | null {
  const base = BASES[source];
  if (!base || !conversationId || !/^[A-Za-z0-9][A-Za-z0-9_-]{5,127}$/.test(conversationId) || conversationId.startsWith("derived-")) return null;
  return base + conversationId;
}
