import type { ExportSource, ProfileKind, ProfileRecord } from "./records";
import { stableId } from "./record-id";

/** A profile fact as a source reader finds it, before it is identified and de-duplicated. */
export interface ProfileDraft {
  profile_kind: ProfileKind;
  label?: string;
  project_id?: string;
  text: string;
}

/**
 * Remembers which profile facts an export has already produced. ChatGPT repeats the custom instructions
 * and saved memory inside every conversation they applied to; the vault wants each distinct text once.
 * Holds one id per distinct fact, which stays small however large the export is.
 */
export class ProfileBook {
  private readonly seen = new Set<string>();

  /** The record for a fact not seen before in this export, else null. */
  admit(source: ExportSource, draft: ProfileDraft): ProfileRecord | null {
    const text = draft.text.trim();
    if (text === "") return null;
    const id = stableId(source, "profile", draft.profile_kind, draft.label, draft.project_id, text);
    if (this.seen.has(id)) return null;
    this.seen.add(id);
    const record: ProfileRecord = { kind: "profile", id, source, profile_kind: draft.profile_kind, text, created_at: null };
    if (draft.label !== undefined) record.label = draft.label;
    if (draft.project_id !== undefined) record.project_id = draft.project_id;
    return record;
  }
}
