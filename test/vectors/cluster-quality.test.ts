import { describe, expect, it } from "vitest";
import { adjustedRand, completeness, normalizedMutualInfo, purity } from "./fixtures/cluster-quality";

describe("cluster quality measures", () => {
  it("score a perfect clustering 1 whatever the cluster numbering", () => {
    const truth = [0, 0, 1, 1, 2, 2];
    const predicted = [5, 5, 3, 3, 9, 9];
    expect([purity(predicted, truth), completeness(predicted, truth), adjustedRand(predicted, truth), normalizedMutualInfo(predicted, truth)]).toEqual([1, 1, 1, 1]);
  });

  it("tell merging labels (impure) from splitting them (incomplete)", () => {
    const truth = [0, 0, 1, 1];
    expect(purity([0, 0, 0, 0], truth)).toBe(0.5);
    expect(completeness([0, 0, 0, 0], truth)).toBe(1);
    expect(purity([0, 1, 2, 3], truth)).toBe(1);
    expect(completeness([0, 1, 2, 3], truth)).toBe(0.5);
  });

  it("match scikit-learn's adjusted Rand and NMI on a known case", () => {
    // sklearn.metrics.adjusted_rand_score([0,0,1,1],[0,0,1,2]) = 0.5714…, normalized_mutual_info_score = 0.8
    expect(adjustedRand([0, 0, 1, 2], [0, 0, 1, 1])).toBeCloseTo(0.5714285714, 8);
    expect(normalizedMutualInfo([0, 0, 1, 2], [0, 0, 1, 1])).toBeCloseTo(0.8, 8);
  });
});
