import { describe, expect, it } from "vitest";
import type { UploadView } from "../../lib/api/contract";
import { describeHistory, describeLive, type LiveUpload } from "../../web/src/lib/upload-progress";

const MB = 1024 * 1024;
const now = Date.parse("2026-12-01T12:00:00Z");

function live(patch: Partial<LiveUpload>): LiveUpload {
  return { key: "k", filename: "export.zip", size: 30 * MB, uploadId: "u", stage: "sending", sent: 0, view: null, error: null, ...patch };
}

function view(patch: Partial<UploadView>): UploadView {
  return {
    upload_id: "u",
    filename: "export.zip",
    source_type: "openai",
    status: "processing",
    phase: "embedding",
    progress_pct: 60,
    bytes: 30 * MB,
    exchanges_found: 120,
    profiles_found: 0,
    nodes_created: 0,
    nodes_deduplicated: 0,
    chunks_done: 3,
    chunks_total: 6,
    duplicate_of: null,
    error_message: null,
    timings: {},
    uploaded_at: "2026-12-01T11:59:00Z",
    completed_at: null,
    forgotten: null,
    ...patch,
  };
}

describe("an upload's row while its bytes go out", () => {
  it("shows in words the percentage the bar shows, and offers Cancel", () => {
    const row = describeLive(live({ sent: 10 * MB }), now);
    expect(row.pct).toBe(33);
    expect(row.status).toBe("Uploading: 33% (10.0 MB of 30.0 MB)");
    expect(row.cancellable).toBe(true);
  });

  it("never says 100% while bytes are still going out, whatever the byte count rounds to", () => {
    for (let sent = 0; sent < 30 * MB; sent += 997_331) {
      const row = describeLive(live({ sent }), now);
      expect(row.status).not.toContain("100%");
      expect(row.status.startsWith(`Uploading: ${row.pct}%`)).toBe(true);
    }
  });

  it("stops offering Cancel once every byte is out, and says it is finishing with a full bar", () => {
    const row = describeLive(live({ sent: 30 * MB }), now);
    expect(row).toMatchObject({ state: "working", pct: 100, status: "Uploaded; finishing", cancellable: false });
  });

  it("shows a bar without a measure (not a part-filled one) while the pipeline has yet to pick the file up", () => {
    expect(describeLive(live({ stage: "following", sent: 30 * MB }), now)).toMatchObject({ pct: null, cancellable: false });
  });
});

describe("an upload's row in the pipeline", () => {
  it("follows the pipeline's own percentage in the bar and in the words", () => {
    const row = describeLive(live({ stage: "following", view: view({}) }), now);
    expect(row).toMatchObject({ state: "working", pct: 60, status: "Indexing memories: 3 of 6 batches (60%)", cancellable: false });
    expect(row.meta).toBe("ChatGPT · 30.0 MB · 1 minute ago");
  });

  it("says how many batches are indexed while the export is still being read", () => {
    const reading = view({ phase: "parsing", progress_pct: 41, exchanges_found: 3000, chunks_done: 8, chunks_total: 12 });
    expect(describeLive(live({ stage: "following", view: reading }), now).status).toBe("Reading the export: 3,000 exchanges so far, 8 batches indexed (41%)");
    expect(describeLive(live({ stage: "following", view: { ...reading, chunks_done: 0 } }), now).status).toBe("Reading the export: 3,000 exchanges so far (41%)");
  });

  it("says what a complete upload added", () => {
    const row = describeLive(live({ stage: "following", view: view({ status: "complete", phase: "done", progress_pct: 100, nodes_created: 9, nodes_deduplicated: 3 }) }), now);
    expect(row).toMatchObject({ state: "complete", status: "Complete", outcome: "9 memories added, 3 already in your vault" });
  });

  it("says a complete upload's memories were forgotten, and no longer offers to forget them", () => {
    const forgotten = view({ status: "complete", phase: "done", progress_pct: 100, nodes_created: 9, forgotten: { memories: 8, at: "2026-12-01T11:00:00Z" } });
    for (const row of [describeHistory(forgotten, now), describeLive(live({ stage: "following", view: forgotten }), now)]) {
      expect(row).toMatchObject({ state: "forgotten", pct: 100, status: "Forgotten", outcome: "8 memories forgotten 1 hour ago (9 were added)" });
    }
  });

  it("words a phase the page does not know by the upload's status instead of showing nothing", () => {
    const row = describeHistory(view({ phase: "reticulating" as UploadView["phase"], progress_pct: 40 }), now);
    expect(row).toMatchObject({ state: "working", pct: 40, status: "Processing (40%)" });
  });

  it("calls an upload whose file never arrived unfinished, not in progress", () => {
    expect(describeHistory(view({ status: "pending", phase: "awaiting_upload", progress_pct: 0 }), now)).toMatchObject({ state: "stalled", cancellable: false });
  });
});
