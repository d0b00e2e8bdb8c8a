import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { defaultInputLimits, estimateTokens, fitToModelInput, halveInputLimits } from "../../lib/embeddings/input-limits";

describe("fitting texts into the model input", () => {
  it("sends a text that fits unchanged", () => {
    const text = "a normal exchange ".repeat(200);

    expect(fitToModelInput(text)).toBe(text);
  });

  it("sends an empty text as a single space, since some servers reject empty inputs", () => {
    expect(fitToModelInput("")).toBe(" ");
  });

  it("cuts a long English text to the character cap", () => {
    const text = "word ".repeat(20_000);

    const fitted = fitToModelInput(text);

    expect(text.startsWith(fitted)).toBe(true);
    expect(fitted.length).toBeLessThanOrEqual(defaultInputLimits.maxInputChars);
    expect(fitted.length).toBeGreaterThan(20_000);
  });

  it("cuts Chinese text sooner, since each character may be a token", () => {
    const fitted = fitToModelInput("会".repeat(20_000));

    expect(fitted.length).toBeLessThanOrEqual(defaultInputLimits.maxInputTokens);
    expect(fitted.length).toBeGreaterThan(7_000);
  });

  it("never cuts between the two halves of a surrogate pair", () => {
    const fitted = fitToModelInput("😀".repeat(10_000));

    expect(fitted.length % 2).toBe(0);
    expect(fitted.endsWith("😀")).toBe(true);
  });

  it("always returns a non-empty prefix within the character cap and the estimated token budget", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 3000 }),
        fc.integer({ min: 65, max: 1000 }),
        fc.integer({ min: 1, max: 2000 }),
        (text, maxInputTokens, maxInputChars) => {
          const fitted = fitToModelInput(text, { maxInputTokens, maxInputChars });

          expect(fitted.length).toBeGreaterThan(0);
          if (fitted === " " && !text.startsWith(" ")) return;
          expect(text.startsWith(fitted)).toBe(true);
          expect(fitted.length).toBeLessThanOrEqual(maxInputChars);
          if (fitted !== text) expect(estimateTokens(fitted)).toBeLessThanOrEqual(maxInputTokens - 64);
        },
      ),
    );
  });

  it("halves both limits for a retry after a server said the input was too long", () => {
    expect(halveInputLimits({ maxInputTokens: 8192, maxInputChars: 24_000 })).toEqual({ maxInputTokens: 4096, maxInputChars: 12_000 });
  });
});
