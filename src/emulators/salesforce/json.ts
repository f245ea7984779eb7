/**
 * Strict JSON bodies with Salesforce's error shape.
 *
 * Salesforce parses request bodies with Jackson and answers malformed JSON with 400
 * `JSON_PARSER_ERROR` and a Jackson message ending in `at [line:L, column:C]`. The fast path is
 * `JSON.parse`; only when it fails (or when a value has the wrong type and we must say where it
 * is) does a small scanner walk the text to find the line and column.
 */

export type JsonPath = ReadonlyArray<string | number>;

export interface JsonLocation {
  line: number;
  column: number;
}

export type JsonParseResult = { ok: true; value: unknown } | { ok: false; message: string };

class ScanError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

function describeChar(text: string, offset: number): string {
  const code = text.codePointAt(offset) ?? 0;
  const printable = code >= 32 && code !== 127 ? String.fromCodePoint(code) : `CTRL-CHAR, code ${code}`;
  return `('${printable}' (code ${code}))`;
}

/** A minimal JSON scanner that knows where it is and can note where a given path's value ends. */
class Scanner {
  private pos = 0;
  found: number | undefined;

  constructor(
    private readonly text: string,
    private readonly target: JsonPath | undefined,
  ) {}

  location(offset: number): JsonLocation {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < offset && i < this.text.length; i++) {
      if (this.text.charCodeAt(i) === 10) {
        line += 1;
        lineStart = i + 1;
      }
    }
    return { line, column: offset - lineStart + 1 };
  }

  private ws(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.pos += 1;
      else break;
    }
  }

  private matches(path: JsonPath): boolean {
    const target = this.target;
    if (!target || target.length !== path.length) return false;
    for (let i = 0; i < path.length; i++) if (target[i] !== path[i]) return false;
    return true;
  }

  document(): void {
    this.ws();
    if (this.pos >= this.text.length) throw new ScanError('No content to map due to end-of-input', this.pos);
    this.value([]);
    this.ws();
    if (this.pos < this.text.length) {
      throw new ScanError(
        `Unexpected character ${describeChar(this.text, this.pos)}: expected end of input`,
        this.pos + 1,
      );
    }
  }

  private value(path: Array<string | number>): void {
    this.ws();
    const t = this.text;
    if (this.pos >= t.length) {
      throw new ScanError('Unexpected end-of-input: expected a value', this.pos);
    }
    const c = t.charAt(this.pos);
    if (c === '{') this.object(path);
    else if (c === '[') this.array(path);
    else if (c === '"') this.string();
    else if (c === '-' || (c >= '0' && c <= '9')) this.number();
    else if (/[A-Za-z]/.test(c)) this.word();
    else {
      throw new ScanError(
        `Unexpected character ${describeChar(t, this.pos)}: expected a valid value (number, String, array, object, 'true', 'false' or 'null')`,
        this.pos + 1,
      );
    }
    if (this.matches(path)) this.found = this.pos;
  }

  private object(path: Array<string | number>): void {
    const start = this.pos;
    this.pos += 1;
    this.ws();
    if (this.text.charAt(this.pos) === '}') {
      this.pos += 1;
      return;
    }
    for (;;) {
      this.ws();
      if (this.pos >= this.text.length) {
        const at = this.location(start);
        throw new ScanError(
          `Unexpected end-of-input: expected close marker for OBJECT (start marker at [line:${at.line}, column:${at.column}])`,
          this.pos,
        );
      }
      if (this.text.charAt(this.pos) !== '"') {
        throw new ScanError(
          `Unexpected character ${describeChar(this.text, this.pos)}: was expecting double-quote to start field name`,
          this.pos + 1,
        );
      }
      const keyStart = this.pos;
      this.string();
      const key = JSON.parse(this.text.slice(keyStart, this.pos)) as string;
      this.ws();
      if (this.text.charAt(this.pos) !== ':') {
        throw new ScanError(
          this.pos >= this.text.length
            ? 'Unexpected end-of-input: was expecting a colon to separate field name and value'
            : `Unexpected character ${describeChar(this.text, this.pos)}: was expecting a colon to separate field name and value`,
          this.pos + 1,
        );
      }
      this.pos += 1;
      this.value([...path, key]);
      this.ws();
      const c = this.text.charAt(this.pos);
      if (c === ',') {
        this.pos += 1;
        continue;
      }
      if (c === '}') {
        this.pos += 1;
        return;
      }
      if (this.pos >= this.text.length) {
        const at = this.location(start);
        throw new ScanError(
          `Unexpected end-of-input: expected close marker for OBJECT (start marker at [line:${at.line}, column:${at.column}])`,
          this.pos,
        );
      }
      throw new ScanError(
        `Unexpected character ${describeChar(this.text, this.pos)}: was expecting comma to separate Object entries`,
        this.pos + 1,
      );
    }
  }

  private array(path: Array<string | number>): void {
    const start = this.pos;
    this.pos += 1;
    this.ws();
    if (this.text.charAt(this.pos) === ']') {
      this.pos += 1;
      return;
    }
    for (let index = 0; ; index++) {
      this.value([...path, index]);
      this.ws();
      const c = this.text.charAt(this.pos);
      if (c === ',') {
        this.pos += 1;
        continue;
      }
      if (c === ']') {
        this.pos += 1;
        return;
      }
      if (this.pos >= this.text.length) {
        const at = this.location(start);
        throw new ScanError(
          `Unexpected end-of-input: expected close marker for ARRAY (start marker at [line:${at.line}, column:${at.column}])`,
          this.pos,
        );
      }
      throw new ScanError(
        `Unexpected character ${describeChar(this.text, this.pos)}: was expecting comma to separate Array entries`,
        this.pos + 1,
      );
    }
  }

  private string(): void {
    const t = this.text;
    this.pos += 1;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 34) {
        this.pos += 1;
        return;
      }
      if (c === 92) {
        const next = t.charAt(this.pos + 1);
        if (next === 'u') {
          if (!/^[0-9A-Fa-f]{4}$/.test(t.slice(this.pos + 2, this.pos + 6))) {
            throw new ScanError(
              'Unexpected character in unicode escape: expected a hex-digit for character escape sequence',
              this.pos + 3,
            );
          }
          this.pos += 6;
          continue;
        }
        if (!'"\\/bfnrt'.includes(next) || next === '') {
          throw new ScanError(`Unrecognized character escape ${describeChar(t, this.pos + 1)}`, this.pos + 2);
        }
        this.pos += 2;
        continue;
      }
      if (c < 32) {
        throw new ScanError(
          `Illegal unquoted character (${describeChar(t, this.pos)}): has to be escaped using backslash to be included in string value`,
          this.pos + 1,
        );
      }
      this.pos += 1;
    }
    throw new ScanError('Unexpected end-of-input: was expecting closing quote for a string value', this.pos);
  }

  private number(): void {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(
      this.text.slice(this.pos, this.pos + 400),
    );
    if (!m || m[0] === '-') {
      throw new ScanError(
        `Unexpected character ${describeChar(this.text, this.pos + 1)}: expected digit after minus sign`,
        this.pos + 2,
      );
    }
    const end = this.pos + m[0].length;
    const after = this.text.charAt(end);
    if (/[0-9A-Za-z.]/.test(after)) {
      throw new ScanError(
        `Unexpected character ${describeChar(this.text, end)}: expected separator or end of number`,
        end + 1,
      );
    }
    this.pos = end;
  }

  private word(): void {
    const m = /^[A-Za-z0-9_$]+/.exec(this.text.slice(this.pos, this.pos + 256));
    const word = m?.[0] ?? '';
    if (word === 'true' || word === 'false' || word === 'null') {
      this.pos += word.length;
      return;
    }
    throw new ScanError(
      `Unrecognized token '${word}': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')`,
      this.pos + word.length,
    );
  }
}

/** Parses a request body; on failure returns Salesforce's JSON_PARSER_ERROR message. */
export function parseJsonBody(text: string): JsonParseResult {
  try {
    if (text.trim() !== '') return { ok: true, value: JSON.parse(text) };
  } catch {
    // fall through to the scanner, which says where and why
  }
  const scanner = new Scanner(text, undefined);
  try {
    scanner.document();
  } catch (error) {
    if (error instanceof ScanError) {
      const at = scanner.location(error.offset);
      return { ok: false, message: `${error.message} at [line:${at.line}, column:${at.column}]` };
    }
    throw error;
  }
  // JSON.parse refused something the scanner accepts (should not happen): report generically.
  return { ok: false, message: 'Malformed JSON at [line:1, column:1]' };
}

/** Where the value at `path` ends in a JSON text that parsed, Jackson style (1-based). */
export function locateJsonValue(text: string, path: JsonPath): JsonLocation {
  const scanner = new Scanner(text, path);
  try {
    scanner.document();
  } catch {
    // the text parsed already; nothing to report
  }
  return scanner.location(scanner.found ?? 0);
}
