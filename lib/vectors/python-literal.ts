import { InvalidNpyError } from "./errors";

/**
 * The subset of Python literal syntax a `.npy` header uses (numpy writes it with `repr` and reads it
 * back with `ast.literal_eval`): dicts with string keys, tuples and lists, strings in either quote
 * style with backslash escapes, integers (including Python 2's `3L`), `True`, `False`, `None`.
 * Tuples and lists both become arrays; dicts become Maps so no key can collide with Object.prototype.
 */
export type PyValue = string | number | boolean | null | PyValue[] | PyDict;
export type PyDict = Map<string, PyValue>;

const WHITESPACE = new Set([" ", "\t", "\n", "\r", "\f", "\v"]);
const SIMPLE_ESCAPES: Record<string, string> = {
  "\\": "\\", "'": "'", '"': '"', n: "\n", t: "\t", r: "\r", "0": "\0", a: "\x07", b: "\b", f: "\f", v: "\v",
};
/** Guards against a hostile header nesting brackets deeply enough to exhaust the stack. */
const MAX_DEPTH = 32;

/** Parses one Python literal, allowing surrounding whitespace; throws `InvalidNpyError` on anything else. */
export function parsePythonLiteral(source: string): PyValue {
  const parser = new LiteralParser(source);
  const value = parser.value(0);
  parser.skipSpace();
  if (!parser.atEnd()) parser.fail("unexpected text after the literal");
  return value;
}

class LiteralParser {
  private pos = 0;
  constructor(private readonly src: string) {}

  atEnd(): boolean {
    return this.pos >= this.src.length;
  }

  fail(what: string): never {
    const near = JSON.stringify(this.src.slice(this.pos, this.pos + 20));
    throw new InvalidNpyError(`npy header is not a valid Python literal: ${what} at offset ${this.pos} (near ${near})`);
  }

  skipSpace(): void {
    while (this.pos < this.src.length && WHITESPACE.has(this.src[this.pos]!)) this.pos++;
  }

  value(depth: number): PyValue {
    if (depth > MAX_DEPTH) this.fail("nesting too deep");
    this.skipSpace();
    const ch = this.src[this.pos];
    if (ch === undefined) this.fail("unexpected end of header");
    if (ch === "{") return this.dict(depth);
    if (ch === "(") return this.sequence(")", depth, true);
    if (ch === "[") return this.sequence("]", depth, false);
    if (ch === "'" || ch === '"') return this.string();
    // Python 2 numpy could write u'descr'; the prefix changes nothing for ASCII text.
    if ((ch === "u" || ch === "U") && (this.src[this.pos + 1] === "'" || this.src[this.pos + 1] === '"')) {
      this.pos++;
      return this.string();
    }
    if (ch === "-" || ch === "+" || (ch >= "0" && ch <= "9")) return this.integer();
    return this.keyword();
  }

  /** `{key: value, ...}` with an optional trailing comma. */
  private dict(depth: number): PyDict {
    const out: PyDict = new Map();
    this.pos++;
    for (;;) {
      this.skipSpace();
      if (this.src[this.pos] === "}") break;
      const key = this.value(depth + 1);
      if (typeof key !== "string") this.fail("dict keys must be strings");
      this.skipSpace();
      if (this.src[this.pos] !== ":") this.fail("expected ':'");
      this.pos++;
      out.set(key, this.value(depth + 1));
      this.skipSpace();
      if (this.src[this.pos] === ",") this.pos++;
      else if (this.src[this.pos] !== "}") this.fail("expected ',' or '}'");
    }
    this.pos++;
    return out;
  }

  /** Tuples and lists. `(x)` without a comma is a parenthesised value in Python, not a tuple. */
  private sequence(close: ")" | "]", depth: number, isTuple: boolean): PyValue {
    const items: PyValue[] = [];
    let sawComma = false;
    this.pos++;
    for (;;) {
      this.skipSpace();
      if (this.src[this.pos] === close) break;
      items.push(this.value(depth + 1));
      this.skipSpace();
      if (this.src[this.pos] === ",") {
        sawComma = true;
        this.pos++;
      } else if (this.src[this.pos] !== close) this.fail(`expected ',' or '${close}'`);
    }
    this.pos++;
    if (isTuple && items.length === 1 && !sawComma) return items[0]!;
    return items;
  }

  private string(): string {
    const quote = this.src[this.pos]!;
    let out = "";
    this.pos++;
    for (;;) {
      const ch = this.src[this.pos];
      if (ch === undefined || ch === "\n") this.fail("unterminated string");
      this.pos++;
      if (ch === quote) return out;
      if (ch !== "\\") {
        out += ch;
        continue;
      }
      out += this.escape();
    }
  }

  private escape(): string {
    const ch = this.src[this.pos];
    if (ch === undefined) this.fail("unterminated string");
    this.pos++;
    const simple = SIMPLE_ESCAPES[ch];
    if (simple !== undefined) return simple;
    const width = ch === "x" ? 2 : ch === "u" ? 4 : ch === "U" ? 8 : 0;
    if (width === 0) return `\\${ch}`; // Python keeps unknown escapes verbatim
    const hex = this.src.slice(this.pos, this.pos + width);
    if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== width) this.fail(`bad \\${ch} escape`);
    this.pos += width;
    const code = Number.parseInt(hex, 16);
    if (code > 0x10ffff) this.fail(`bad \\${ch} escape`);
    return String.fromCodePoint(code);
  }

  /** Integers only: a header has no use for floats. Python 2 numpy wrote `(3L, 4L)`. */
  private integer(): number {
    const match = /^[+-]?\s*\d+[lL]?/.exec(this.src.slice(this.pos, this.pos + 40));
    if (!match) this.fail("expected a number");
    const digits = match[0].replace(/[\slL]/g, "");
    const value = Number(digits);
    if (!Number.isSafeInteger(value)) this.fail("integer too large");
    const next = this.src[this.pos + match[0].length];
    if (next !== undefined && /[\w.]/.test(next)) this.fail("expected an integer");
    this.pos += match[0].length;
    return value;
  }

  private keyword(): boolean | null {
    const match = /^[A-Za-z_]\w*/.exec(this.src.slice(this.pos, this.pos + 16));
    const word = match?.[0];
    if (word === "True" || word === "False" || word === "None") {
      this.pos += word.length;
      return word === "True" ? true : word === "False" ? false : null;
    }
    this.fail("expected a value");
  }
}
