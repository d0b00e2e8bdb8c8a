import path from "node:path";

/**
 * The object key's last segment: the person's file name, kept recognisable but made safe for keys,
 * URLs and file systems (no folders, no control characters, no leading dots, at most 120 characters).
 */
export function sanitiseFileName(name: string): string {
  const base = path.posix.basename(name.replaceAll("\\", "/")).normalize("NFKC");
  const cleaned = base
    .replace(/[^\p{L}\p{N}._ ()+-]/gu, "_")
    .replace(/\s+/g, " ")
    .replace(/^[.\s]+/, "")
    .trim();
  const extension = path.posix.extname(cleaned).slice(0, 16);
  const stem = cleaned.slice(0, cleaned.length - extension.length).slice(0, 120 - extension.length);
  return stem ? `${stem}${extension}` : `upload${extension || ".json"}`;
}
