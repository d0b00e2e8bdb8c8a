import { describe, expect, it } from "vitest";
import { progressLabel } from "../../cli/import";

describe("vault import's progress words", () => {
  it("counts one chunk and one exchange in the singular while the export is read", () => {
    expect(progressLabel({ phase: "parsing", exchanges_found: 1, chunks_done: 1, chunks_total: 3 })).toBe("reading the export, 1 exchange so far, 1 chunk embedded");
    expect(progressLabel({ phase: "parsing", exchanges_found: 3026, chunks_done: 4, chunks_total: 9 })).toBe("reading the export, 3,026 exchanges so far, 4 chunks embedded");
  });

  it("leaves the embedded count out until a chunk is embedded", () => {
    expect(progressLabel({ phase: "parsing", exchanges_found: 0, chunks_done: 0, chunks_total: 0 })).toBe("reading the export, 0 exchanges so far");
  });

  it("names the other phases", () => {
    expect(progressLabel({ phase: "embedding", exchanges_found: 4087, chunks_done: 5, chunks_total: 16 })).toBe("embedding 5 of 16 chunks");
    expect(progressLabel({ phase: "merging", exchanges_found: 4087, chunks_done: 16, chunks_total: 16 })).toBe("adding to your vault");
  });
});
