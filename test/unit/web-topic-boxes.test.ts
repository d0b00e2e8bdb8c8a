import { describe, expect, it } from "vitest";
import { labelFits } from "../../web/src/lib/topic-boxes";

describe("a topic box's label", () => {
  it("shows in a box of ordinary width from 56 px tall", () => {
    expect(labelFits(70, 56)).toBe(true);
    expect(labelFits(200, 55)).toBe(false);
  });

  it("shows in a narrow box tall enough for a word a line, as a 66 × 146 px box of a 45-topic map", () => {
    expect(labelFits(66, 146)).toBe(true);
    expect(labelFits(54, 100)).toBe(true);
    expect(labelFits(66, 99)).toBe(false);
    expect(labelFits(53, 400)).toBe(false);
  });
});
