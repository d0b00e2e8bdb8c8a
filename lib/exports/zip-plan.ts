/**
 * Which files inside an export zip hold what we import, and in which order to read them. Names decide
 * only which entries are opened; what each file is, is still decided by its content. Never read:
 * `chat.html` (it can exceed 100 MB and repeats conversations.json), images, audio, and everything else.
 */
export interface PlannedFile {
  name: string;
  /** A conversations file must be a format we know; side files only add profile facts. */
  strict: boolean;
}

type Role = "claude_projects" | "claude_memories" | "conversations" | "gemini_activity";

/** Read order: project names before the memories that refer to them, profile facts before exchanges. */
const ROLE_ORDER: Role[] = ["claude_projects", "claude_memories", "conversations", "gemini_activity"];

/** What an entry of an export zip holds, judged by its path; null for entries never opened. */
export function zipEntryRole(path: string): Role | null {
  const segments = path.split("/");
  const base = (segments.at(-1) ?? "").toLowerCase();
  // macOS Finder adds resource forks when re-zipping: `__MACOSX/…` and `._name`.
  if (segments.includes("__MACOSX") || base.startsWith("._") || !base.endsWith(".json")) return null;
  if (base === "conversations.json" || /^conversations-\d+\.json$/.test(base) || base === "prod-grok-backend.json") return "conversations";
  if (base === "projects.json") return "claude_projects";
  if (base === "memories.json") return "claude_memories";
  // Takeout translates folder and file names; the product name "Gemini" (formerly "Bard") survives. Other
  // products' My Activity files (Search, YouTube) can be large and hold no conversations: not opened.
  if (segments.slice(0, -1).some((segment) => /gemini|bard/i.test(segment))) return "gemini_activity";
  if (segments.length === 1 && base === "myactivity.json") return "gemini_activity";
  return null;
}

/** Orders the wanted entries: by role, then split files numerically (`conversations-2` before `-10`). */
export function planZipFiles(names: string[]): PlannedFile[] {
  const collator = new Intl.Collator("en", { numeric: true });
  return names
    .map((name) => ({ name, role: zipEntryRole(name) }))
    .filter((file): file is { name: string; role: Role } => file.role !== null)
    .sort((a, b) => ROLE_ORDER.indexOf(a.role) - ROLE_ORDER.indexOf(b.role) || collator.compare(a.name, b.name))
    .map(({ name, role }) => ({ name, strict: role === "conversations" }));
}
