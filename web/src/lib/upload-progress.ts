/**
 * What an upload's row shows, as one pure function of what is known about it, so the bar, the words
 * and the Cancel button can never disagree: the bar's value is the percentage the words say, and
 * Cancel is offered only while there are bytes left to send.
 */
import { formatBytes, formatCount, outcomeLabel, phaseLabel, plural, sourceLabel, timeAgo } from "./format";
import type { UploadView } from "./api";

/** An upload started on this page, from the moment the file is chosen. */
export interface LiveUpload {
  /** Stable while the row lives. */
  key: string;
  filename: string;
  size: number;
  uploadId: string | null;
  /** Asking where to send it; sending its bytes (then awaiting the store's word); in the pipeline. */
  stage: "preparing" | "sending" | "following";
  /** Bytes the store is receiving or has received. */
  sent: number;
  /** The API's latest answer about it, once it is in the pipeline. */
  view: UploadView | null;
  /** A failure before the pipeline had the file (refused, cancelled, connection lost). */
  error: string | null;
}

export interface RowModel {
  /** `forgotten`: complete, and then the person forgot what it added. */
  state: "working" | "complete" | "forgotten" | "failed" | "stalled";
  /** The bar's value, 0–100; `null` is a bar without a measure (waiting on something that has none). */
  pct: number | null;
  status: string;
  meta: string;
  /** What a finished upload added. */
  outcome: string | null;
  error: string | null;
  cancellable: boolean;
}

function meta(filenameSize: number, view: UploadView | null, now: number): string {
  return [view ? sourceLabel(view.source_type) : "", formatBytes(view?.bytes ?? filenameSize), view ? timeAgo(view.uploaded_at, now) : "just now"].filter(Boolean).join(" · ");
}

/** The row of an upload this page is running. */
export function describeLive(row: LiveUpload, now = Date.now()): RowModel {
  const base = { meta: meta(row.size, row.view, now), outcome: null, error: null, cancellable: false };
  if (row.error !== null) return { ...base, state: "failed", pct: 0, status: "Failed", error: row.error };
  if (row.view) return { ...describePipeline(row.view, now), meta: base.meta };
  switch (row.stage) {
    case "preparing":
      return { ...base, state: "working", pct: null, status: "Preparing the upload", cancellable: true };
    case "sending": {
      // Every byte handed over is not the same as stored: 100% is said only once the store has answered.
      if (row.sent >= row.size && row.size > 0) return { ...base, state: "working", pct: 100, status: "Uploaded; finishing" };
      const pct = row.size > 0 ? Math.min(99, Math.floor((row.sent / row.size) * 100)) : 0;
      return { ...base, state: "working", pct, status: `Uploading: ${pct}% (${formatBytes(row.sent)} of ${formatBytes(row.size)})`, cancellable: true };
    }
    case "following":
      return { ...base, state: "working", pct: null, status: "Sent; waiting for your vault to pick it up" };
  }
}

/** The row of an upload as the API lists it (from an earlier visit, another tab, or the CLI). */
export function describeHistory(view: UploadView, now = Date.now()): RowModel {
  if (view.status === "pending" && view.phase === "awaiting_upload") {
    return {
      state: "stalled",
      pct: 0,
      status: "Not finished: the file never arrived. Choose it again to upload it.",
      meta: meta(view.bytes, view, now),
      outcome: null,
      error: null,
      cancellable: false,
    };
  }
  return describePipeline(view, now);
}

function describePipeline(view: UploadView, now: number): RowModel {
  const base = { meta: meta(view.bytes, view, now), outcome: null, error: null, cancellable: false };
  if (view.status === "failed") return { ...base, state: "failed", pct: 0, status: "Failed", error: view.error_message ?? "The upload failed." };
  if (view.status === "complete" && view.forgotten) {
    const outcome = `${plural(view.forgotten.memories, "memory", "memories")} forgotten ${timeAgo(view.forgotten.at, now)} (${formatCount(view.nodes_created)} ${view.nodes_created === 1 ? "was" : "were"} added)`;
    return { ...base, state: "forgotten", pct: 100, status: "Forgotten", outcome };
  }
  if (view.status === "complete") return { ...base, state: "complete", pct: 100, status: "Complete", outcome: outcomeLabel(view) };
  if (view.phase === "awaiting_upload" || view.phase === "queued") return { ...base, state: "working", pct: null, status: phaseLabel(view) };
  return { ...base, state: "working", pct: view.progress_pct, status: `${phaseLabel(view)} (${view.progress_pct}%)` };
}

/** An upload someone is waiting on: the pipeline has it, or will as soon as its file is stored. */
export function isActive(view: UploadView): boolean {
  return view.status === "processing" || (view.status === "pending" && view.phase !== "awaiting_upload");
}
