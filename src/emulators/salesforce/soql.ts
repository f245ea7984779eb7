/**
 * The SOQL that tools use to inspect data:
 *
 *   SELECT COUNT() | field[, field...] FROM object
 *     [WHERE condition] [ORDER BY field [ASC|DESC] [NULLS FIRST|LAST][, ...]] [LIMIT n] [OFFSET n]
 *
 * Fields may be parent paths (`Account.Name`, `ti_sucursal__r.Account.Name`). Conditions combine
 * `=`, `!=`, `<>`, `<`, `<=`, `>`, `>=`, `LIKE`, `IN (...)`, `NOT IN (...)` with AND, OR, NOT and
 * parentheses; literals are 'strings', numbers, true, false, null, dates (2024-01-31) and
 * datetimes (2024-01-31T10:00:00Z). Errors carry Salesforce's position format
 * ("ERROR at Row:1:Column:8").
 */
import { ApiError } from './errors.js';

export type Literal =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' }
  | { kind: 'date'; value: string }
  | { kind: 'datetime'; value: string };

export interface FieldRef {
  /** The path as written, split on dots. */
  path: string[];
  /** 1-based position in the query, for error messages. */
  row: number;
  column: number;
}

export type Condition =
  | { kind: 'and' | 'or'; items: Condition[] }
  | { kind: 'not'; item: Condition }
  | {
      kind: 'cmp';
      field: FieldRef;
      op: '=' | '!=' | '<' | '<=' | '>' | '>=' | 'like';
      value: Literal;
      at: Position;
    }
  | { kind: 'in'; field: FieldRef; negated: boolean; values: Literal[]; at: Position };

export interface OrderItem {
  field: FieldRef;
  descending: boolean;
  nullsLast: boolean;
}

export interface SoqlQuery {
  count: boolean;
  fields: FieldRef[];
  object: string;
  objectAt: Position;
  where: Condition | undefined;
  orderBy: OrderItem[];
  limit: number | undefined;
  offset: number | undefined;
}

export interface Position {
  row: number;
  column: number;
}

interface Token {
  type: 'word' | 'string' | 'number' | 'date' | 'datetime' | 'op' | 'punct' | 'eof';
  text: string;
  value?: string;
  row: number;
  column: number;
}

const KEYWORDS = new Set([
  'select',
  'from',
  'where',
  'and',
  'or',
  'not',
  'in',
  'like',
  'order',
  'by',
  'asc',
  'desc',
  'nulls',
  'first',
  'last',
  'limit',
  'offset',
  'null',
  'true',
  'false',
]);

/** Salesforce's query error text: the query line, a caret under the column, and the reason. */
export function queryError(soql: string, errorCode: string, at: Position, reason: string): ApiError {
  const line = soql.split('\n')[at.row - 1] ?? '';
  const caret = `${' '.repeat(Math.max(0, at.column - 1))}^`;
  return new ApiError(
    400,
    errorCode,
    `\n${line}\n${caret}\nERROR at Row:${at.row}:Column:${at.column}\n${reason}`,
  );
}

function tokenize(soql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let row = 1;
  let lineStart = 0;
  const at = (offset: number) => ({ row, column: offset - lineStart + 1 });
  while (i < soql.length) {
    const c = soql.charAt(i);
    if (c === '\n') {
      row += 1;
      i += 1;
      lineStart = i;
      continue;
    }
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    const start = i;
    if (c === "'") {
      let value = '';
      i += 1;
      for (;;) {
        if (i >= soql.length)
          throw queryError(soql, 'MALFORMED_QUERY', at(start), 'unterminated string literal');
        const d = soql.charAt(i);
        if (d === '\\') {
          const e = soql.charAt(i + 1);
          const map: Record<string, string> = {
            n: '\n',
            t: '\t',
            r: '\r',
            b: '\b',
            f: '\f',
            "'": "'",
            '"': '"',
            '\\': '\\',
            _: '\\_',
            '%': '\\%',
          };
          const mapped = map[e];
          if (mapped === undefined) {
            throw queryError(
              soql,
              'MALFORMED_QUERY',
              at(i),
              `Invalid string literal '${soql.slice(start, i + 2)}'. Illegal character sequence '\\${e}' in string literal.`,
            );
          }
          value += mapped;
          i += 2;
          continue;
        }
        if (d === "'") {
          i += 1;
          break;
        }
        value += d;
        i += 1;
      }
      tokens.push({ type: 'string', text: soql.slice(start, i), value, ...at(start) });
      continue;
    }
    const datetime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})/.exec(
      soql.slice(i, i + 40),
    );
    if (datetime) {
      tokens.push({ type: 'datetime', text: datetime[0], ...at(start) });
      i += datetime[0].length;
      continue;
    }
    const date = /^\d{4}-\d{2}-\d{2}(?![\d:T])/.exec(soql.slice(i, i + 12));
    if (date) {
      tokens.push({ type: 'date', text: date[0], ...at(start) });
      i += date[0].length;
      continue;
    }
    const number = /^[-+]?(\d+(\.\d*)?|\.\d+)/.exec(soql.slice(i, i + 60));
    if (
      number &&
      (/\d/.test(c) || c === '.' || ((c === '-' || c === '+') && /[\d.]/.test(soql.charAt(i + 1))))
    ) {
      tokens.push({ type: 'number', text: number[0], ...at(start) });
      i += number[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(soql.slice(i, i + 1000));
    if (word) {
      tokens.push({ type: 'word', text: word[0], ...at(start) });
      i += word[0].length;
      continue;
    }
    const op = /^(<=|>=|!=|<>|=|<|>)/.exec(soql.slice(i, i + 2));
    if (op) {
      tokens.push({ type: 'op', text: op[0], ...at(start) });
      i += op[0].length;
      continue;
    }
    if ('(),'.includes(c)) {
      tokens.push({ type: 'punct', text: c, ...at(start) });
      i += 1;
      continue;
    }
    throw queryError(soql, 'MALFORMED_QUERY', at(start), `unexpected token: '${c}'`);
  }
  tokens.push({ type: 'eof', text: '<EOF>', ...at(i) });
  return tokens;
}

class Parser {
  private i = 0;
  constructor(
    private readonly soql: string,
    private readonly tokens: Token[],
  ) {}

  private peek(): Token {
    return this.tokens[this.i] as Token;
  }

  private next(): Token {
    const t = this.peek();
    if (t.type !== 'eof') this.i += 1;
    return t;
  }

  private isWord(word: string, t: Token = this.peek()): boolean {
    return t.type === 'word' && t.text.toLowerCase() === word;
  }

  private unexpected(t: Token = this.peek()): ApiError {
    return queryError(this.soql, 'MALFORMED_QUERY', t, `unexpected token: '${t.text}'`);
  }

  private expectWord(word: string): Token {
    const t = this.next();
    if (!this.isWord(word, t)) throw this.unexpected(t);
    return t;
  }

  private expectPunct(p: string): Token {
    const t = this.next();
    if (t.type !== 'punct' || t.text !== p) throw this.unexpected(t);
    return t;
  }

  private field(): FieldRef {
    const t = this.next();
    if (t.type !== 'word' || KEYWORDS.has(t.text.toLowerCase())) throw this.unexpected(t);
    return { path: t.text.split('.'), row: t.row, column: t.column };
  }

  parse(): SoqlQuery {
    this.expectWord('select');
    let count = false;
    const fields: FieldRef[] = [];
    if (this.isWord('count') && this.tokens[this.i + 1]?.text === '(') {
      this.next();
      this.expectPunct('(');
      this.expectPunct(')');
      count = true;
    } else {
      for (;;) {
        fields.push(this.field());
        if (this.peek().text !== ',') break;
        this.next();
      }
    }
    this.expectWord('from');
    const objectToken = this.next();
    if (objectToken.type !== 'word' || objectToken.text.includes('.')) throw this.unexpected(objectToken);
    const query: SoqlQuery = {
      count,
      fields,
      object: objectToken.text,
      objectAt: { row: objectToken.row, column: objectToken.column },
      where: undefined,
      orderBy: [],
      limit: undefined,
      offset: undefined,
    };
    if (this.isWord('where')) {
      this.next();
      query.where = this.orExpr();
    }
    if (this.isWord('order')) {
      this.next();
      this.expectWord('by');
      for (;;) {
        const field = this.field();
        let descending = false;
        if (this.isWord('asc')) this.next();
        else if (this.isWord('desc')) {
          this.next();
          descending = true;
        }
        let nullsLast = descending;
        if (this.isWord('nulls')) {
          this.next();
          const which = this.next();
          if (this.isWord('first', which)) nullsLast = false;
          else if (this.isWord('last', which)) nullsLast = true;
          else throw this.unexpected(which);
        }
        query.orderBy.push({ field, descending, nullsLast });
        if (this.peek().text !== ',') break;
        this.next();
      }
    }
    if (this.isWord('limit')) {
      this.next();
      query.limit = this.integer();
    }
    if (this.isWord('offset')) {
      this.next();
      query.offset = this.integer();
      if (query.offset > 2000) {
        throw queryError(
          this.soql,
          'NUMBER_OUTSIDE_VALID_RANGE',
          this.tokens[this.i - 1] as Token,
          'Maximum SOQL offset allowed is 2000',
        );
      }
    }
    const rest = this.peek();
    if (rest.type !== 'eof') throw this.unexpected(rest);
    return query;
  }

  private integer(): number {
    const t = this.next();
    if (t.type !== 'number' || !/^\d+$/.test(t.text)) throw this.unexpected(t);
    return Number(t.text);
  }

  private orExpr(): Condition {
    const items = [this.andExpr()];
    while (this.isWord('or')) {
      this.next();
      items.push(this.andExpr());
    }
    return items.length === 1 ? (items[0] as Condition) : { kind: 'or', items };
  }

  private andExpr(): Condition {
    const items = [this.notExpr()];
    while (this.isWord('and')) {
      this.next();
      items.push(this.notExpr());
    }
    return items.length === 1 ? (items[0] as Condition) : { kind: 'and', items };
  }

  private notExpr(): Condition {
    if (this.isWord('not')) {
      this.next();
      return { kind: 'not', item: this.notExpr() };
    }
    if (this.peek().text === '(') {
      this.next();
      const inner = this.orExpr();
      this.expectPunct(')');
      return inner;
    }
    const field = this.field();
    const opToken = this.peek();
    if (this.isWord('in') || (this.isWord('not') && this.isWord('in', this.tokens[this.i + 1]))) {
      const negated = this.isWord('not');
      if (negated) this.next();
      this.next();
      this.expectPunct('(');
      const values: Literal[] = [];
      for (;;) {
        values.push(this.literal());
        const sep = this.next();
        if (sep.text === ')') break;
        if (sep.text !== ',') throw this.unexpected(sep);
      }
      return { kind: 'in', field, negated, values, at: opToken };
    }
    if (this.isWord('like')) {
      this.next();
      return { kind: 'cmp', field, op: 'like', value: this.literal(), at: opToken };
    }
    const op = this.next();
    if (op.type !== 'op') throw this.unexpected(op);
    const normalized = op.text === '<>' ? '!=' : (op.text as '=' | '!=' | '<' | '<=' | '>' | '>=');
    return { kind: 'cmp', field, op: normalized, value: this.literal(), at: opToken };
  }

  private literal(): Literal {
    const t = this.next();
    switch (t.type) {
      case 'string':
        return { kind: 'string', value: t.value ?? '' };
      case 'number':
        return { kind: 'number', value: Number(t.text) };
      case 'date':
        return { kind: 'date', value: t.text };
      case 'datetime':
        return { kind: 'datetime', value: t.text };
      case 'word': {
        const w = t.text.toLowerCase();
        if (w === 'true' || w === 'false') return { kind: 'boolean', value: w === 'true' };
        if (w === 'null') return { kind: 'null' };
        throw this.unexpected(t);
      }
      default:
        throw this.unexpected(t);
    }
  }
}

/** Parses a SOQL query or throws ApiError MALFORMED_QUERY with Salesforce's message shape. */
export function parseSoql(soql: string): SoqlQuery {
  return new Parser(soql, tokenize(soql)).parse();
}
