/*
 * Fitting texts into the model's input window without a tokenizer. bge-m3 (an XLM-RoBERTa
 * SentencePiece vocabulary without byte fallback) reads at most 8192 tokens and never spends more
 * than one token on a UTF-16 code unit, so a text of ≤ budget code units always fits. Longer texts are
 * cut where a conservative estimate of their token count reaches the budget: the tail of a very long
 * exchange matters less than embedding it at all, and servers differ in whether they truncate or
 * reject (OpenAI and TEI reject), so we never send more than we believe fits.
 */

export interface InputLimits {
  /** The model's input window in tokens (bge-m3: 8192). */
  maxInputTokens: number;
  /** A hard cap in UTF-16 code units, whatever the estimate says. */
  maxInputChars: number;
}

/** bge-m3's window, and ≈ 3 ASCII characters per token, below the ≈ 4+ of English prose, as margin. */
export const defaultInputLimits: InputLimits = { maxInputTokens: 8192, maxInputChars: 24_000 };

/** Room for the `<s>` and `</s>` tokens the server adds, plus slack for estimate error. */
const RESERVED_TOKENS = 64;

/**
 * Some servers reject an empty input (OpenAI answers 400), so an empty text is sent as one space:
 * the model still gets its special tokens and answers a defined vector.
 */
const EMPTY_INPUT = " ";

/**
 * Estimated tokens per code unit: ASCII ≈ 1/3 (prose runs ≈ 4 chars/token; code and numbers fewer);
 * Latin-extended, Cyrillic, Greek, Arabic, Hebrew, Indic ≈ 1/2; CJK, kana, Hangul syllables and
 * astral characters (emoji) 1, the most a code unit can cost.
 */
function tokenCost(c: number): number {
  if (c < 0x80) return 1 / 3;
  if (c < 0x3000) return 1 / 2;
  return 1;
}

/** A conservative (high) estimate of the tokens bge-m3's tokenizer makes of `text`, specials excluded. */
export function estimateTokens(text: string): number {
  let estimate = 0;
  for (let i = 0; i < text.length; i++) estimate += tokenCost(text.charCodeAt(i));
  return estimate;
}

/**
 * The text as it should be sent: unchanged when it fits, cut to the limits when it does not (never in
 * the middle of a surrogate pair), and `" "` when it is empty.
 */
export function fitToModelInput(text: string, limits: InputLimits = defaultInputLimits): string {
  if (text.length === 0) return EMPTY_INPUT;
  const tokenBudget = Math.max(1, limits.maxInputTokens - RESERVED_TOKENS);
  // Fast path: at most one token per code unit, so a text this short always fits.
  if (text.length <= tokenBudget && text.length <= limits.maxInputChars) return text;

  const maxChars = Math.min(text.length, limits.maxInputChars);
  let estimate = 0;
  let end = 0;
  while (end < maxChars) {
    estimate += tokenCost(text.charCodeAt(end));
    if (estimate > tokenBudget) break;
    end++;
  }
  if (end === text.length) return text;
  // Do not leave a lone high surrogate at the cut.
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return end > 0 ? text.slice(0, end) : EMPTY_INPUT;
}

/** Limits halved, for a retry after a server says the input is still too long for it. */
export function halveInputLimits(limits: InputLimits): InputLimits {
  return {
    maxInputTokens: Math.max(RESERVED_TOKENS + 1, Math.floor(limits.maxInputTokens / 2)),
    maxInputChars: Math.max(1, Math.floor(limits.maxInputChars / 2)),
  };
}
