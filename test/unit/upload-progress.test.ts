import { describe, expect, it } from "vitest";
import { progressPct } from "../../lib/uploads/progress";

const MB = 1024 * 1024;
type Row = Parameters<typeof progressPct>[0];

function row(patch: Partial<Row>): Row {
  return { state: "parsing", bytes_parsed: 0, declared_bytes: 100 * MB, uploaded_bytes: 100 * MB, chunks_done: 0, chunks_total: 0, ...patch };
}

describe("an upload's progress percentage", () => {
  it("counts the chunks embedded while the export is still being read", () => {
    // Half the file read, 20 chunks recorded (so about 40 in all), 10 of them embedded.
    expect(progressPct(row({ bytes_parsed: 50 * MB, chunks_total: 20, chunks_done: 0 }))).toBe(18);
    expect(progressPct(row({ bytes_parsed: 50 * MB, chunks_total: 20, chunks_done: 10 }))).toBe(33);
  });

  it("carries on where it was when the reading ends and the last chunks embed", () => {
    const lastRead = progressPct(row({ bytes_parsed: 100 * MB, chunks_total: 40, chunks_done: 30 }));
    const embedding = progressPct(row({ state: "embedding", bytes_parsed: 100 * MB, chunks_total: 40, chunks_done: 30 }));
    expect(lastRead).toBe(embedding);
    expect(embedding).toBe(75);
  });

  it("never moves backwards while the file is read and its chunks embed alongside", () => {
    let previous = 0;
    for (let read = 0; read <= 100; read += 1) {
      const recorded = Math.floor(read * 0.4);
      const done = Math.max(0, recorded - 3);
      const pct = progressPct(row({ bytes_parsed: read * MB, chunks_total: recorded, chunks_done: done }));
      expect(pct).toBeGreaterThanOrEqual(previous);
      previous = pct;
    }
    expect(previous).toBeLessThanOrEqual(progressPct(row({ state: "embedding", bytes_parsed: 100 * MB, chunks_total: 40, chunks_done: 37 })));
  });

  it("stays below the merge's share until every chunk is in", () => {
    expect(progressPct(row({ bytes_parsed: 100 * MB, chunks_total: 40, chunks_done: 39 }))).toBeLessThan(progressPct(row({ state: "merging" })));
  });
});
