import { uploadPhase, uploadStatus } from "./lifecycle";
import type { UploadView } from "../api/contract";
import type { UploadRow, UploadViewRow } from "./upload-rows";

/**
 * The share of the work done, derived when read from the state and its own measure: reading by bytes
 * read, embedding by chunks done, merging as a short last stretch. Chunks are embedded while the export
 * is still being read, so while `parsing` the embedding share counts the chunks done against the
 * number the whole file will make, projected from the part read so far; when the reading ends, the
 * projection is the real count and the figure carries on where it was. Monotonic as the upload moves
 * through its states (a merge that takes over exchanges goes back to embedding, a rare step back).
 */
export function progressPct(upload: Pick<UploadRow, "state" | "bytes_parsed" | "declared_bytes" | "uploaded_bytes" | "chunks_done" | "chunks_total">): number {
  const fraction = (done: number, total: number) => (total > 0 ? Math.min(1, done / total) : 0);
  switch (upload.state) {
    case "awaiting_upload":
      return 0;
    case "parsing": {
      const read = fraction(upload.bytes_parsed, upload.uploaded_bytes ?? upload.declared_bytes);
      // Chunks the whole file will make, as far as the part read tells (read ≤ 1, so never fewer than recorded).
      const projected = read > 0 ? upload.chunks_total / read : upload.chunks_total;
      return Math.round(5 + 25 * read + 60 * fraction(upload.chunks_done, projected));
    }
    case "embedding":
      return Math.round(30 + 60 * fraction(upload.chunks_done, upload.chunks_total));
    case "merging":
      return 92;
    case "complete":
      return 100;
    case "failed":
      return 0;
  }
}

/** `GET /api/personal/vault/upload/{id}`: the upload as the person and the CLI see it. */
export function describeUpload(upload: UploadViewRow): UploadView {
  return {
    upload_id: upload.id,
    filename: upload.original_filename,
    source_type: upload.source_type,
    status: uploadStatus(upload.state),
    phase: uploadPhase(upload.state),
    progress_pct: progressPct(upload),
    bytes: upload.uploaded_bytes ?? upload.declared_bytes,
    exchanges_found: upload.exchanges_found,
    profiles_found: upload.profiles_found,
    nodes_created: upload.nodes_created,
    nodes_deduplicated: upload.nodes_deduplicated,
    chunks_done: upload.chunks_done,
    chunks_total: upload.chunks_total,
    duplicate_of: upload.duplicate_of,
    error_message: upload.error_message,
    timings: upload.timings,
    uploaded_at: upload.uploaded_at.toISOString(),
    completed_at: upload.processing_completed_at?.toISOString() ?? null,
    forgotten: upload.forgotten_at ? { memories: upload.forgotten_memories ?? 0, at: upload.forgotten_at.toISOString() } : null,
  };
}
