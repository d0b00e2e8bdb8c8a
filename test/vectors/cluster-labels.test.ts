import { describe, expect, it } from "vitest";
import { documentTerms, labelClusters, nodeTextAt } from "../../lib/vectors/cluster-labels";
import type { NodeText } from "../../lib/vectors/cluster-labels";
import { createRng } from "../../lib/vectors/prng";

const node = (text: string, title: string | null = null): NodeText => ({ id: text.slice(0, 8), title, text });

function label(groups: NodeText[][], options = {}) {
  const nodes = groups.flat();
  let next = 0;
  const members = groups.map((g) => g.map(() => next++));
  return labelClusters(members, nodeTextAt(nodes), createRng(1), options);
}

describe("documentTerms", () => {
  it("lower-cases words, drops stop words, short words and numbers, and reads the title", () => {
    const terms = documentTerms(node("Could you HELP me tune the Postgres vacuum in 2024? ok", "Autovacuum"), 2000);
    expect([...terms].sort()).toEqual(["autovacuum", "postgres", "tune", "vacuum"]);
  });

  it("keeps words in any script", () => {
    expect([...documentTerms(node("Überprüfung der Straßenbahn 東京都"), 2000)]).toEqual(["überprüfung", "der", "straßenbahn", "東京都"]);
  });

  it("reads only the first maxTextChars of long texts", () => {
    expect([...documentTerms(node("kubernetes" + " ".repeat(50) + "terraform"), 20)]).toEqual(["kubernetes"]);
  });

  it("leaves out the word the cut falls in", () => {
    expect([...documentTerms(node("kubernetes terraform"), 14)]).toEqual(["kubernetes"]);
    expect([...documentTerms(node("kubernetes terraform"), 10)]).toEqual(["kubernetes"]);
  });
});

describe("labelClusters", () => {
  it("prefers words distinctive of a cluster over words common to the whole vault", () => {
    const labels = label([
      Array.from({ length: 10 }, (_, i) => node(`answer detail sourdough starter hydration ${i % 2 ? "flour" : ""}`)),
      Array.from({ length: 10 }, () => node("answer detail terraform module state")),
    ]);
    expect(labels[0]!.terms.slice(0, 3).sort()).toEqual(["hydration", "sourdough", "starter"]);
    expect(labels[0]!.terms).not.toContain("answer");
    expect(labels[1]!.label).toBe("module, state, terraform");
  });

  it("labels a cluster with the conversation title half its members share", () => {
    const labels = label([
      [node("rise proof", "Sourdough troubleshooting"), node("crumb oven", "Sourdough troubleshooting"), node("crumb scoring", "Bread")],
      [node("plan module", "New chat"), node("plan state", "New chat")],
    ]);
    expect(labels[0]).toMatchObject({ label: "Sourdough troubleshooting", title: "Sourdough troubleshooting" });
    expect(labels[1]!.title).toBeNull();
    expect(labels[1]!.label).toBe("plan"); // not "chat": "New chat" is a default title, not a topic
  });

  it("ignores words found in a single sampled text", () => {
    const labels = label([[node("alpha beta"), node("alpha gamma"), node("alpha delta"), node("alpha epsilon")]]);
    expect(labels[0]!.terms).toEqual(["alpha"]);
  });

  it("reads at most docsPerCluster texts per cluster", () => {
    const seen: number[] = [];
    const nodes = Array.from({ length: 500 }, (_, i) => node(`word${i}`));
    labelClusters([nodes.map((_, i) => i)], (row) => (seen.push(row), nodes[row]!), createRng(1), { docsPerCluster: 50 });
    expect(seen).toHaveLength(50);
  });

  it("tells apart clusters whose most distinctive words are the same, the larger keeping them", () => {
    // Both kernel clusters lead with "build, kernel, module"; only one in five of the second's texts says "rust".
    const labels = label([
      Array.from({ length: 15 }, (_, i) => node(`kernel module build ${i % 3 ? "" : "config"}`)),
      Array.from({ length: 10 }, (_, i) => node(`kernel module build ${i % 5 ? "" : "rust"}`)),
      Array.from({ length: 10 }, () => node("garden tomato soil")),
    ]);

    expect(labels[0]!.label).toBe("build, kernel, module");
    expect(labels[1]!.label).toBe("rust, build, kernel");
    expect(labels[1]!.terms.slice(0, 3)).toEqual(["build", "kernel", "module"]);
    expect(labels[2]!.label).toBe("garden, soil, tomato");
  });

  it("counts a label of the same words in another order as the same label", () => {
    // The two clusters rank alpha, beta and gamma in opposite orders; one in five of the second's texts says delta.
    const words = (first: string, second: string, third: string, i: number) => [first, i < 18 ? second : "", i < 16 ? third : ""].join(" ");
    const labels = label([
      Array.from({ length: 20 }, (_, i) => node(words("alpha", "beta", "gamma", i))),
      Array.from({ length: 20 }, (_, i) => node(`${words("gamma", "beta", "alpha", i)} ${i < 4 ? "delta" : ""}`)),
      Array.from({ length: 40 }, () => node("garden tomato soil")),
    ]);

    expect(labels[0]!.label).toBe("alpha, beta, gamma");
    expect(labels[1]!.terms.slice(0, 3)).toEqual(["gamma", "beta", "alpha"]);
    expect(labels[1]!.label).toBe("delta, gamma, beta");
  });

  it("tells apart clusters whose every word some label already has, by a combination not yet taken", () => {
    // Three clusters on one vocabulary: the third's best words are the first's, and the second used the rest.
    const labels = label([
      Array.from({ length: 20 }, (_, i) => node(`alpha beta gamma ${i < 5 ? "delta" : ""}`)),
      Array.from({ length: 15 }, () => node("delta epsilon zeta")),
      Array.from({ length: 10 }, (_, i) => node(`alpha beta gamma ${i < 5 ? "delta" : ""}`)),
      Array.from({ length: 40 }, () => node("garden tomato soil")),
    ]);

    expect(labels[0]!.label).toBe("alpha, beta, gamma");
    expect(labels[2]!.terms.slice(0, 3)).toEqual(["alpha", "beta", "gamma"]);
    expect(labels[2]!.label).toBe("alpha, beta, delta");
  });

  it("tells apart clusters led by the same conversation title by a word of their own", () => {
    const labels = label([
      Array.from({ length: 6 }, (_, i) => node(`crumb oven ${i % 2 ? "scoring" : ""}`, "Sourdough troubleshooting")),
      Array.from({ length: 4 }, () => node("starter feeding schedule", "Sourdough troubleshooting")),
    ]);

    expect(labels[0]!.label).toBe("Sourdough troubleshooting");
    expect(labels[1]!.label).toBe("Sourdough troubleshooting: feeding");
  });

  it("gives a third cluster of the same title and the same best word another word", () => {
    const labels = label([
      Array.from({ length: 14 }, () => node("crumb oven", "Sourdough troubleshooting")),
      Array.from({ length: 12 }, () => node("starter feeding", "Sourdough troubleshooting")),
      Array.from({ length: 10 }, (_, i) => node(`starter feeding ${i < 2 ? "rye" : ""}`, "Sourdough troubleshooting")),
    ]);

    expect(labels[2]!.terms.slice(0, 2)).toEqual(["feeding", "starter"]);
    expect(labels.map((one) => one.label)).toEqual(["Sourdough troubleshooting", "Sourdough troubleshooting: feeding", "Sourdough troubleshooting: starter"]);
  });

  it("gives an empty label and no terms to texts without words", () => {
    expect(label([[node(""), node("123 456")]])[0]).toEqual({ label: "", terms: [], title: null });
  });
});
