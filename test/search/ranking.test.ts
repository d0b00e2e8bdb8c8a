import { describe, expect, it } from "vitest";
import { fuseRankings } from "../../lib/search/fusion";
import { snippet } from "../../lib/search/snippets";
import { sourceUrl } from "../../lib/search/source-url";
import { topK } from "../../lib/search/top-k";

describe("reciprocal rank fusion", () => {
  it("puts a row both sides rank well above rows only one side ranks first", () => {
    const fused = fuseRankings({ rows: [1, 2, 3] }, { rows: [4, 2, 5] }, { k: 3 });
    expect(fused[0]).toMatchObject({ row: 2, vectorRank: 2, lexicalRank: 2 });
  });

  it("puts pinned rows (rare identifiers) first, even when the vector side never saw them", () => {
    const fused = fuseRankings({ rows: [1, 2, 3] }, { rows: [2, 9] }, { k: 3, pinned: [9] });
    expect(fused.map((entry) => entry.row)).toEqual([9, 2, 1]);
  });
});

describe("top-k", () => {
  it("returns the k best, best first, ties to the smaller item", () => {
    const scores = [5, 1, 5, 9, 3];
    expect(topK([0, 1, 2, 3, 4], (i) => scores[i]!, 3)).toEqual([3, 0, 2]);
  });
});

describe("snippets", () => {
  it("shows the words around the match, in bold, with ellipses where cut", () => {
    const text = `${"filler words here. ".repeat(30)}The invoice ORD-88412 was paid on Monday. ${"more filler. ".repeat(30)}`;
    const out = snippet(text, ["ord-88412", "88412", "paid"], { maxChars: 120 });
    expect(out).toContain("**ORD-88412**");
    expect(out).toContain("**paid**");
    expect(out.startsWith("…")).toBe(true);
    expect(out.endsWith("…")).toBe(true);
    expect(out.replace(/\*\*/g, "").length).toBeLessThanOrEqual(122);
  });

  it("marks the words that carry the question, not its stop words, unless it has no other words", () => {
    const terms = ["what", "do", "i", "keep", "and", "where"];
    expect(snippet("I keep bees and I do like honey, in Porto.", terms)).toBe("I **keep** bees and I do like honey, in Porto.");
    expect(snippet("To be or not to be, that is the question.", ["to", "be"])).toBe("**To** **be** or not **to** **be**, that is the question.");
  });

  it("starts at the beginning when nothing matches", () => {
    expect(snippet("Short text", ["absent"])).toBe("Short text");
  });
});

describe("source links", () => {
  it("links ChatGPT, Claude and Grok conversations, not Gemini or derived ids", () => {
    expect(sourceUrl("openai", "67d1c0de-1234-8000-9000-abcdefabcdef")).toBe("https://chatgpt.com/c/67d1c0de-1234-8000-9000-abcdefabcdef");
    expect(sourceUrl("anthropic", "0b2a5c1e-0000-4000-8000-000000000000")).toBe("https://claude.ai/chat/0b2a5c1e-0000-4000-8000-000000000000");
    expect(sourceUrl("grok", "1876543210987654321")).toBe("https://grok.com/chat/1876543210987654321");
    expect(sourceUrl("gemini", "session-1")).toBeNull();
    expect(sourceUrl("openai", "derived-abc123def")).toBeNull();
    expect(sourceUrl("openai", "../../evil")).toBeNull();
  });
});
