import { describe, expect, it } from "vitest";
import { createLexicalBuilder, loadLexicalIndex } from "../../lib/search/lexical-index";
import { identifierTerms, terms } from "../../lib/search/tokens";

function indexOf(texts: string[]) {
  const builder = createLexicalBuilder();
  texts.forEach((text, row) => builder.add(row, text));
  return loadLexicalIndex(builder.encode());
}

describe("terms", () => {
  it("keeps identifiers whole as well as in parts, lower-cased", () => {
    expect(terms("Order ORD-88412 shipped; see parse_invoice_v2() in app.ts")).toEqual([
      "order", "ord", "88412", "ord-88412", "shipped", "see", "parse_invoice_v2", "in", "app", "ts", "app.ts",
    ]);
  });

  it("treats numbers, underscores, joined parts and camelCase as identifiers", () => {
    expect(identifierTerms("where is calculateTotal and ORD-88412 or the invoice")).toEqual(["calculatetotal", "ord-88412"]);
  });
});

describe("lexical index", () => {
  const texts = [
    "my order for the walnut desk has not arrived",
    "the order number is ORD-88412, the walnut desk again",
    "orders and deliveries in general: orders orders orders",
    "a recipe for bread",
  ];

  it("ranks the only memory holding a rare token first", () => {
    const hits = indexOf(texts).search(terms("ORD-88412"), { limit: 10 });
    expect(hits.rows[0]).toBe(1);
  });

  it("scores more matching terms higher and leaves out memories matching none", () => {
    const hits = indexOf(texts).search(terms("walnut desk order"), { limit: 10 });
    expect(hits.rows.slice(0, 2).sort()).toEqual([0, 1]);
    expect(hits.rows).not.toContain(3);
    expect(hits.scores).toEqual([...hits.scores].sort((a, b) => b - a));
  });

  it("searches only allowed rows when given a mask", () => {
    const allowed = Uint8Array.from([0, 0, 1, 1]);
    expect(indexOf(texts).search(terms("orders desk"), { limit: 10, allowed }).rows).toEqual([2]);
    expect(indexOf(texts).search(terms("orders desk"), { limit: 10 }).rows).toEqual([2, 0, 1]);
  });

  it("finds rows holding every term, and survives an encode/decode round trip with many rows", () => {
    const many = Array.from({ length: 3000 }, (_, row) => `memory ${row} ${row % 7 === 0 ? "seven" : ""} ${row % 11 === 0 ? "eleven" : ""}`);
    const index = indexOf(many);
    expect(index.docs).toBe(3000);
    expect(index.rowsWithAll(["seven", "eleven"])).toEqual(many.map((_, row) => row).filter((row) => row % 77 === 0));
    expect(index.documentFrequency("seven")).toBe(Math.ceil(3000 / 7));
    expect(index.search(["2999"], { limit: 3 }).rows).toEqual([2999]);
  });

  it("refuses rows added out of order", () => {
    const builder = createLexicalBuilder();
    expect(() => builder.add(1, "x")).toThrow(/out of order/);
  });
});
