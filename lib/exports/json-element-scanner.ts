import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, isWhitespace, OPEN_BRACE, OPEN_BRACKET, QUOTE } from "./json-bytes";
import { decodeKey, emptyFile, invalidJson, notAContainer, parseElement, tooDeep, truncated } from "./json-scan-errors";

/**
 * Splits a JSON document into its top-level elements without ever holding the whole document: a
 * conversations file can be larger than the longest string V8 can make (2^29-24 characters), so
 * `JSON.parse` of the file is impossible, not merely slow. The scanner tracks only string/escape state
 * and nesting depth over raw bytes, keeps the bytes of the current element as chunk slices (one
 * concatenation per element, so elements split across chunks cost no quadratic copying), and hands each
 * complete element to `JSON.parse`, which also validates it.
 *
 * Shapes understood: a top-level array (`[conv, conv, …]`) yields each element with `key: null`; a
 * top-level object (`{"conversations": [...], "projects": [...]}`) yields each element of each array
 * member with that member's key, and each non-array member whole, with `member: true`.
 */
export interface JsonElement {
  /** The top-level object member this element belongs to; null inside a top-level array. */
  key: string | null;
  /** True when `value` is a whole top-level member that was not an array. */
  member: boolean;
  /** The parsed element; undefined when it was larger than `maxElementBytes` and skipped. */
  value: unknown;
  tooLarge: boolean;
  /** Byte offset of the element in the document (for error messages and logs). */
  offset: number;
}

export interface ScannerLimits {
  maxElementBytes: number;
  maxDepth: number;
}

const enum State {
  BeforeTop,
  ArrayValueOrEnd,
  ArrayValue,
  ArrayCommaOrEnd,
  ObjectKeyOrEnd,
  ObjectKey,
  InKey,
  ObjectColon,
  ObjectMemberValue,
  ObjectCommaOrEnd,
  InElement,
  AfterTop,
}

const enum ElementKind {
  Composite,
  String,
  Scalar,
}

const MAX_KEY_BYTES = 64 * 1024;

export class JsonElementScanner {
  /** Complete elements waiting to be taken by the caller. */
  readonly ready: JsonElement[] = [];
  private state = State.BeforeTop;
  private offset = 0;
  private sawContent = false;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private key: string | null = null;
  private keyParts: Buffer[] = [];
  private keyBytes = 0;
  /** The element being scanned: where it started, what it is, and its bytes so far (as chunk slices). */
  private element = { key: null as string | null, member: false, kind: ElementKind.Composite, depth: 0, offset: 0, bytes: 0 };
  private elementParts: Buffer[] = [];
  private collecting = false;
  private tooLarge = false;

  constructor(
    private readonly limits: ScannerLimits,
    /** Members not wanted are scanned for structure but never collected or parsed. */
    private readonly wantKey: (key: string) => boolean = () => true,
    /** Told each member name of a top-level object, wanted or not (format detection needs to know). */
    private readonly onKey: (key: string) => void = () => {},
  ) {}

  write(chunk: Buffer): void {
    let i = 0;
    const length = chunk.length;
    while (i < length) {
      if (this.state === State.InElement) {
        const start = i;
        i = this.scanElement(chunk, i);
        if (this.collecting) this.elementParts.push(chunk.subarray(start, i));
        this.element.bytes += i - start;
        this.checkElementSize();
        if (this.state !== State.InElement) this.finishElement();
      } else if (this.state === State.InKey) {
        i = this.scanKey(chunk, i);
      } else if (this.structural(chunk[i]!, this.offset + i)) {
        i++;
      }
    }
    this.offset += length;
  }

  /** Call once the input has ended; throws if the document is empty or incomplete. */
  end(): void {
    if (this.state === State.AfterTop) return;
    throw this.sawContent ? truncated(this.offset) : emptyFile();
  }

  /**
   * One byte outside any element: the punctuation of the top-level array or object. Returns false when
   * the byte starts an element, so that `write` scans it again as the element's first byte.
   */
  private structural(byte: number, at: number): boolean {
    if (isWhitespace(byte)) return true;
    // A UTF-8 byte order mark is legal noise at the very start of the file.
    if (this.state === State.BeforeTop && at < 3 && (byte === 0xef || byte === 0xbb || byte === 0xbf)) return true;
    this.sawContent = true;
    switch (this.state) {
      case State.BeforeTop:
        if (byte === OPEN_BRACKET) return this.open(State.ArrayValueOrEnd);
        if (byte === OPEN_BRACE) return this.open(State.ObjectKeyOrEnd);
        throw notAContainer(byte);
      case State.ArrayValueOrEnd:
        if (byte === CLOSE_BRACKET) return this.closeArray();
        return this.startElement(byte, at, false);
      case State.ArrayValue:
        return this.startElement(byte, at, false);
      case State.ArrayCommaOrEnd:
        if (byte === COMMA) return this.goTo(State.ArrayValue);
        if (byte === CLOSE_BRACKET) return this.closeArray();
        throw invalidJson(at);
      case State.ObjectKeyOrEnd:
        if (byte === CLOSE_BRACE) return this.goTo(State.AfterTop);
        if (byte === QUOTE) return this.startKey();
        throw invalidJson(at);
      case State.ObjectKey:
        if (byte === QUOTE) return this.startKey();
        throw invalidJson(at);
      case State.ObjectColon:
        if (byte === COLON) return this.goTo(State.ObjectMemberValue);
        throw invalidJson(at);
      case State.ObjectMemberValue:
        if (byte === OPEN_BRACKET) return this.open(State.ArrayValueOrEnd);
        return this.startElement(byte, at, true);
      case State.ObjectCommaOrEnd:
        if (byte === COMMA) return this.goTo(State.ObjectKey);
        if (byte === CLOSE_BRACE) return this.goTo(State.AfterTop);
        throw invalidJson(at);
      case State.AfterTop:
        throw invalidJson(at, "There is unexpected data after the end of the JSON.");
      default:
        throw new Error(`unreachable scanner state ${this.state}`);
    }
  }

  private goTo(state: State): true {
    this.state = state;
    return true;
  }

  private open(next: State): true {
    this.depth++;
    return this.goTo(next);
  }

  /** Closes the top-level array, or one of the top-level object's member arrays. */
  private closeArray(): true {
    this.depth--;
    return this.goTo(this.depth === 0 ? State.AfterTop : State.ObjectCommaOrEnd);
  }

  private startKey(): true {
    this.keyParts = [];
    this.keyBytes = 0;
    this.escaped = false;
    return this.goTo(State.InKey);
  }

  /** Collects a member name up to its closing quote; returns the index after the bytes consumed. */
  private scanKey(chunk: Buffer, i: number): number {
    const start = i;
    let escaped = this.escaped;
    for (; i < chunk.length; i++) {
      const byte = chunk[i];
      if (escaped) escaped = false;
      else if (byte === BACKSLASH) escaped = true;
      else if (byte === QUOTE) break;
    }
    this.escaped = escaped;
    this.keyBytes += i - start;
    if (this.keyBytes > MAX_KEY_BYTES) throw invalidJson(this.offset + i, "A field name in it is unreasonably long.");
    this.keyParts.push(chunk.subarray(start, i));
    if (i === chunk.length) return i;
    this.key = decodeKey(Buffer.concat(this.keyParts), this.offset + i);
    this.keyParts = [];
    this.onKey(this.key);
    this.state = State.ObjectColon;
    return i + 1;
  }

  private startElement(byte: number, at: number, member: boolean): false {
    if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET || byte === COMMA || byte === COLON) throw invalidJson(at);
    const key = member || this.depth === 2 ? this.key : null;
    let kind = ElementKind.Scalar;
    if (byte === OPEN_BRACE || byte === OPEN_BRACKET) kind = ElementKind.Composite;
    else if (byte === QUOTE) kind = ElementKind.String;
    this.element = { key, member, kind, depth: this.depth, offset: at, bytes: 0 };
    this.elementParts = [];
    this.tooLarge = false;
    this.collecting = key === null || this.wantKey(key);
    this.inString = false;
    this.escaped = false;
    this.state = State.InElement;
    return false;
  }

  /**
   * Scans element bytes from `i`; returns the index just past the element's end, or the chunk length when
   * the element continues in the next chunk. The hot loop of the whole reader: keep it branch-light.
   */
  private scanElement(chunk: Buffer, i: number): number {
    const length = chunk.length;
    if (this.element.kind === ElementKind.Scalar) return this.scanScalar(chunk, i);
    let depth = this.depth;
    let inString = this.inString;
    let escaped = this.escaped;
    const target = this.element.depth;
    const maxDepth = this.limits.maxDepth;
    const isString = this.element.kind === ElementKind.String;
    while (i < length) {
      if (inString) {
        if (escaped) {
          escaped = false;
          i++;
          continue;
        }
        // Most of an export's bytes are inside strings: find the next quote with `indexOf` (memchr)
        // instead of testing byte by byte, then count the backslashes just before it. An odd run escapes
        // it; the run starts after `i` (a backslash before `i` was consumed by an escape or is outside
        // this string), since `escaped` was handled above.
        const quote = chunk.indexOf(QUOTE, i);
        const end = quote < 0 ? length : quote;
        let run = 0;
        while (end - run > i && chunk[end - run - 1] === BACKSLASH) run++;
        if (quote < 0) {
          escaped = run % 2 === 1;
          i = length;
          break;
        }
        i = quote + 1;
        if (run % 2 === 0) {
          inString = false;
          if (isString) return this.elementEnded(i);
        }
        continue;
      }
      const byte = chunk[i++]!;
      if (byte === QUOTE) inString = true;
      else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
        if (++depth > maxDepth) throw tooDeep(this.offset + i, maxDepth);
      } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        if (--depth === target) return this.elementEnded(i);
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    return i;
  }

  /** Numbers, true, false, null: they end at the next delimiter, which belongs to the container. */
  private scanScalar(chunk: Buffer, i: number): number {
    for (; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (byte === COMMA || byte === CLOSE_BRACKET || byte === CLOSE_BRACE || isWhitespace(byte)) return this.elementEnded(i);
    }
    return i;
  }

  private elementEnded(i: number): number {
    this.depth = this.element.depth;
    this.inString = false;
    this.escaped = false;
    this.state = this.element.member ? State.ObjectCommaOrEnd : State.ArrayCommaOrEnd;
    return i;
  }

  private checkElementSize(): void {
    if (this.tooLarge || this.element.bytes <= this.limits.maxElementBytes) return;
    this.tooLarge = true;
    this.collecting = false;
    this.elementParts = [];
  }

  private finishElement(): void {
    const { key, member, offset, bytes } = this.element;
    if (this.tooLarge) {
      this.ready.push({ key, member, value: undefined, tooLarge: true, offset });
    } else if (this.collecting) {
      const whole = this.elementParts.length === 1 ? this.elementParts[0]! : Buffer.concat(this.elementParts, bytes);
      this.elementParts = [];
      this.ready.push({ key, member, value: parseElement(whole, offset), tooLarge: false, offset });
    }
  }
}
