import type { ExportSource } from "./records";

/** Each export's maker as a person knows it (the `source` of every record and memory names the export). */
export const SOURCE_NAMES: Readonly<Record<ExportSource, string>> = { openai: "ChatGPT", anthropic: "Claude", grok: "Grok", gemini: "Gemini" };

/** The maker's name for a stored `source`; undefined for one this code does not know (or none). */
export function sourceName(source: string | null | undefined): string | undefined {
  return source && Object.hasOwn(SOURCE_NAMES, source) ? SOURCE_NAMES[source as ExportSource] : undefined;
}
