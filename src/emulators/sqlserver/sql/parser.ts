/**
 * Parses the T-SQL subset a view query uses into a small syntax tree. Valid T-SQL outside the subset
 * is refused with Msg 40517 naming the keyword; text that is not T-SQL gets Msg 102/156.
 */
import { notSupported, SqlServerError, syntaxError } from './errors.js';
import { isKeyword, isReserved, type Token, tokenize } from './lexer.js';

export type Expr =
  | { k: 'number'; text: string }
  | { k: 'string'; value: string; national: boolean }
  | { k: 'null' }
  | { k: 'param'; name: string }
  | { k: 'sysvar'; name: string }
  | { k: 'column'; parts: string[]; text: string }
  | { k: 'func'; name: string; args: Expr[]; star: boolean; distinct: boolean }
  | { k: 'unary'; op: '-' | '+'; expr: Expr }
  | { k: 'binary'; op: '+' | '-' | '*' | '/' | '%'; left: Expr; right: Expr }
  | { k: 'case'; whens: { cond: Condition; result: Expr }[]; else?: Expr }
  | { k: 'cast'; expr: Expr; type: string; style?: Expr; fn: 'CAST' | 'CONVERT' }
  | { k: 'collate'; expr: Expr; collation: string };

export type CompareOp = '=' | '<>' | '<' | '>' | '<=' | '>=';

export type Condition =
  | { k: 'and' | 'or'; left: Condition; right: Condition }
  | { k: 'not'; cond: Condition }
  | { k: 'compare'; op: CompareOp; left: Expr; right: Expr }
  | { k: 'isnull'; expr: Expr; not: boolean }
  | { k: 'like'; expr: Expr; pattern: Expr; escape?: Expr; not: boolean }
  | { k: 'in'; expr: Expr; list: Expr[]; not: boolean }
  | { k: 'between'; expr: Expr; low: Expr; high: Expr; not: boolean };

export type SelectItem = { k: 'star'; qualifier?: string } | { k: 'expr'; expr: Expr; alias?: string };

export interface TableRef {
  /** Name parts as written: [name], [schema, name] or [database, schema, name]; empty for a subquery. */
  parts: string[];
  text: string;
  alias?: string;
  /** FROM (SELECT ...) AS alias. */
  subquery?: SelectStatement;
}

export interface JoinClause {
  type: 'inner' | 'left';
  table: TableRef;
  on: Condition;
}

export interface OrderItem {
  expr: Expr;
  desc: boolean;
}

export interface SelectStatement {
  k: 'select';
  distinct: boolean;
  top?: Expr;
  items: SelectItem[];
  from?: TableRef;
  joins?: JoinClause[];
  where?: Condition;
  orderBy?: OrderItem[];
  offset?: Expr;
  fetch?: Expr;
  /** EXEC sp_describe_first_result_set @tsql, @params: the statement is described, not run. */
  describe?: { tsql: Expr; params?: Expr };
}

export type Statement =
  | SelectStatement
  | { k: 'set'; option: string; value: string }
  | { k: 'use'; database: string };

/** SET options accepted (and mostly ignored: the emulator's behaviour matches their defaults). */
const SET_OPTIONS = new Set([
  'ANSI_DEFAULTS',
  'ANSI_NULLS',
  'ANSI_NULL_DFLT_ON',
  'ANSI_NULL_DFLT_OFF',
  'ANSI_PADDING',
  'ANSI_WARNINGS',
  'ARITHABORT',
  'ARITHIGNORE',
  'CONCAT_NULL_YIELDS_NULL',
  'CURSOR_CLOSE_ON_COMMIT',
  'DATEFIRST',
  'DATEFORMAT',
  'DEADLOCK_PRIORITY',
  'IMPLICIT_TRANSACTIONS',
  'LANGUAGE',
  'LOCK_TIMEOUT',
  'NOCOUNT',
  'NUMERIC_ROUNDABORT',
  'QUOTED_IDENTIFIER',
  'TEXTSIZE',
  'XACT_ABORT',
  'ROWCOUNT',
  'STATISTICS',
  'SHOWPLAN_ALL',
  'SHOWPLAN_TEXT',
  'SHOWPLAN_XML',
  'FMTONLY',
  'NOEXEC',
  'PARSEONLY',
  'IDENTITY_INSERT',
]);
/** SET options whose non-default value would change results, so only the default is accepted. */
const SET_DEFAULT_ONLY: Record<string, string> = {
  ROWCOUNT: '0',
  FMTONLY: 'OFF',
  NOEXEC: 'OFF',
  PARSEONLY: 'OFF',
  SHOWPLAN_ALL: 'OFF',
  SHOWPLAN_TEXT: 'OFF',
  SHOWPLAN_XML: 'OFF',
};

/** Statements that are valid T-SQL but not run by the emulator. */
const UNSUPPORTED_STATEMENTS = new Set(
  (
    'INSERT UPDATE DELETE MERGE CREATE ALTER DROP TRUNCATE EXEC EXECUTE DECLARE BEGIN COMMIT ROLLBACK SAVE ' +
    'GRANT REVOKE DENY PRINT IF WHILE RAISERROR THROW BACKUP RESTORE DBCC KILL SHUTDOWN OPEN CLOSE FETCH ' +
    'DEALLOCATE GOTO WAITFOR RETURN WITH BULK CHECKPOINT RECONFIGURE'
  ).split(' '),
);

/** Clauses and operators inside a SELECT that the emulator does not run. */
const UNSUPPORTED_IN_SELECT = new Set(
  'RIGHT FULL CROSS GROUP HAVING UNION EXCEPT INTERSECT INTO FOR OPTION PIVOT UNPIVOT TABLESAMPLE EXISTS OVER APPLY'.split(
    ' ',
  ),
);

/** Reserved keywords that are also built-in function names. */
const CALLABLE_KEYWORDS = new Set(['CAST', 'CONVERT', 'COALESCE', 'NULLIF', 'LEFT', 'RIGHT', 'CURRENT_USER']);

export function parseBatch(sql: string): Statement[] {
  return new Parser(tokenize(sql)).batch();
}

/** Parses the `@params` declaration of sp_executesql: '@a int, @b nvarchar(20) OUTPUT'. */
export function parseParamDeclarations(text: string): { name: string; type: string; output: boolean }[] {
  const tokens = tokenize(text);
  const out: { name: string; type: string; output: boolean }[] = [];
  let i = 0;
  const at = (): Token => tokens[Math.min(i, tokens.length - 1)] as Token;
  while (at().kind !== 'eof') {
    const name = at();
    if (name.kind !== 'param') throw syntaxError(name.text, isReserved(name));
    i++;
    const typeStart = at();
    if (typeStart.kind !== 'word') throw syntaxError(typeStart.text, isReserved(typeStart));
    let type = typeStart.value;
    i++;
    if (at().text === '(') {
      const args: string[] = [];
      i++;
      while (at().text !== ')') {
        const t = at();
        if (t.kind === 'eof') throw syntaxError(t.text, false);
        args.push(t.text);
        i++;
      }
      i++;
      type += `(${args.join('')})`;
    }
    let output = false;
    if (isKeyword(at(), 'OUTPUT', 'OUT')) {
      output = true;
      i++;
    }
    out.push({ name: name.value, type, output });
    if (at().text === ',') i++;
    else if (at().kind !== 'eof') throw syntaxError(at().text, isReserved(at()));
  }
  return out;
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private get t(): Token {
    return this.tokens[Math.min(this.i, this.tokens.length - 1)] as Token;
  }

  private current(): Token {
    return this.t;
  }

  private peek(offset = 1): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)] as Token;
  }

  private fail(token: Token = this.t): never {
    if (token.kind === 'eof') {
      const last = this.tokens[this.tokens.length - 2];
      throw syntaxError(last?.text ?? '', last !== undefined && isReserved(last));
    }
    throw syntaxError(token.text, isReserved(token));
  }

  private op(text: string): boolean {
    if (this.t.kind === 'op' && this.t.text === text) {
      this.i++;
      return true;
    }
    return false;
  }

  private expectOp(text: string): void {
    if (!this.op(text)) this.fail();
  }

  private keyword(...words: string[]): boolean {
    if (isKeyword(this.t, ...words)) {
      this.i++;
      return true;
    }
    return false;
  }

  private expectKeyword(...words: string[]): void {
    if (!this.keyword(...words)) this.fail();
  }

  batch(): Statement[] {
    const statements: Statement[] = [];
    while (this.t.kind !== 'eof') {
      if (this.op(';')) continue;
      statements.push(this.statement());
      const next = this.current();
      if (!(next.kind === 'eof' || next.text === ';' || this.startsStatement(next))) this.fail();
    }
    return statements;
  }

  private startsStatement(token: Token): boolean {
    return isKeyword(token, 'SELECT', 'SET', 'USE') || UNSUPPORTED_STATEMENTS.has(token.value.toUpperCase());
  }

  private statement(): Statement {
    const t = this.t;
    if (isKeyword(t, 'SELECT')) return this.select();
    if (isKeyword(t, 'SET')) return this.set();
    if (isKeyword(t, 'USE')) {
      this.i++;
      const name = this.t;
      if (name.kind !== 'word' && name.kind !== 'quoted') this.fail();
      this.i++;
      return { k: 'use', database: name.value };
    }
    if (isKeyword(t, 'EXEC', 'EXECUTE') && this.isDescribe()) return this.describe();
    if (t.kind === 'word' && UNSUPPORTED_STATEMENTS.has(t.value.toUpperCase()))
      throw notSupported(t.value.toUpperCase());
    if (t.kind === 'op' && t.text === '(') throw notSupported('(subquery)');
    return this.fail();
  }

  /** EXEC [sys.]sp_describe_first_result_set ... */
  private isDescribe(): boolean {
    const names: string[] = [];
    let j = 1;
    for (;;) {
      const t = this.peek(j);
      if (t.kind !== 'word' && t.kind !== 'quoted') break;
      names.push(t.value.toLowerCase());
      if (this.peek(j + 1).text !== '.') break;
      j += 2;
    }
    const last = names[names.length - 1];
    return (
      last === 'sp_describe_first_result_set' &&
      names.slice(0, -1).every((n) => ['sys', 'master'].includes(n))
    );
  }

  private describe(): SelectStatement {
    this.i++;
    while (this.peek().text === '.') this.i += 2;
    this.i++;
    const args: { name?: string; value: Expr }[] = [];
    while (this.t.kind !== 'eof' && this.t.text !== ';' && !this.startsStatement(this.t)) {
      if (this.t.kind === 'param' && this.peek().text === '=') {
        const name = this.t.value.toLowerCase();
        this.i += 2;
        args.push({ name, value: this.expr() });
      } else args.push({ value: this.expr() });
      if (!this.op(',')) break;
    }
    const named = (name: string, index: number): Expr | undefined =>
      args.find((a) => a.name === name)?.value ??
      (args[index]?.name === undefined ? args[index]?.value : undefined);
    for (const a of args) {
      if (a.name !== undefined && !['@tsql', '@params', '@browse_information_mode'].includes(a.name)) {
        throw new SqlServerError(
          8145,
          `${a.name} is not a parameter for procedure sp_describe_first_result_set.`,
        );
      }
    }
    const tsql = named('@tsql', 0);
    if (tsql === undefined) {
      throw new SqlServerError(
        201,
        "Procedure or function 'sp_describe_first_result_set' expects parameter '@tsql', which was not supplied.",
        { state: 4 },
      );
    }
    const params = named('@params', 1);
    const describe = params === undefined ? { tsql } : { tsql, params };
    return { k: 'select', distinct: false, items: [], describe };
  }

  private set(): Statement {
    this.i++;
    const name = this.t;
    if (name.kind === 'param') throw notSupported('SET @variable');
    if (name.kind !== 'word') this.fail();
    const option = name.value.toUpperCase();
    this.i++;
    if (option === 'TRANSACTION') {
      this.expectKeyword('ISOLATION');
      this.expectKeyword('LEVEL');
      const words: string[] = [];
      while (this.t.kind === 'word' && !this.startsStatement(this.t)) {
        words.push(this.t.value.toUpperCase());
        this.i++;
      }
      const level = words.join(' ');
      if (
        !['READ COMMITTED', 'READ UNCOMMITTED', 'REPEATABLE READ', 'SERIALIZABLE', 'SNAPSHOT'].includes(level)
      ) {
        this.fail();
      }
      return { k: 'set', option: 'TRANSACTION ISOLATION LEVEL', value: level };
    }
    const options = [option];
    while (this.op(',')) {
      if (this.t.kind !== 'word') this.fail();
      options.push(this.t.value.toUpperCase());
      this.i++;
    }
    for (const o of options) {
      if (!SET_OPTIONS.has(o)) {
        throw new SqlServerError(195, `'${o}' is not a recognized SET option.`, { severity: 15, state: 1 });
      }
    }
    const value = this.t;
    if (value.kind === 'op' && value.text === '-' && this.peek().kind === 'number') {
      this.i += 2;
      return { k: 'set', option, value: `-${this.tokens[this.i - 1]?.text}` };
    }
    if (!['word', 'number', 'string', 'quoted'].includes(value.kind)) this.fail();
    this.i++;
    // SET STATISTICS IO ON, SET IDENTITY_INSERT t ON: a second word before the value.
    let text = value.kind === 'word' ? value.value.toUpperCase() : value.value;
    if ((option === 'STATISTICS' || option === 'IDENTITY_INSERT') && this.t.kind === 'word') {
      text = this.t.value.toUpperCase();
      this.i++;
    }
    for (const o of options) {
      const only = SET_DEFAULT_ONLY[o];
      if (only !== undefined && text !== only) throw notSupported(`SET ${o} ${text}`);
      if (o === 'STATISTICS' && text === 'ON') throw notSupported('SET STATISTICS');
      if (o === 'IDENTITY_INSERT') throw notSupported('SET IDENTITY_INSERT');
    }
    return { k: 'set', option: options.join(','), value: text };
  }

  private select(): SelectStatement {
    this.expectKeyword('SELECT');
    const statement: SelectStatement = { k: 'select', distinct: false, items: [] };
    if (this.keyword('DISTINCT')) statement.distinct = true;
    else this.keyword('ALL');
    if (this.keyword('TOP')) {
      if (this.op('(')) {
        statement.top = this.expr();
        this.expectOp(')');
      } else if (this.t.kind === 'number' || this.t.kind === 'param') {
        statement.top = this.primary();
      } else this.fail();
      if (isKeyword(this.t, 'PERCENT')) throw notSupported('TOP ... PERCENT');
      if (isKeyword(this.t, 'WITH') && isKeyword(this.peek(), 'TIES'))
        throw notSupported('TOP ... WITH TIES');
    }
    do {
      statement.items.push(this.selectItem());
    } while (this.op(','));
    this.checkUnsupported();
    if (this.keyword('FROM')) {
      statement.from = this.tableRef();
      const joins = this.joins();
      if (joins.length > 0) statement.joins = joins;
      this.checkUnsupported();
      if (this.t.text === ',') throw notSupported('comma-separated tables in FROM (write INNER JOIN ... ON)');
    }
    if (this.keyword('WHERE')) statement.where = this.condition();
    this.checkUnsupported();
    if (isKeyword(this.t, 'ORDER') && isKeyword(this.peek(), 'BY')) {
      this.i += 2;
      statement.orderBy = [];
      do {
        const expr = this.expr();
        let desc = false;
        if (this.keyword('DESC')) desc = true;
        else this.keyword('ASC');
        statement.orderBy.push({ expr, desc });
      } while (this.op(','));
      if (this.keyword('OFFSET')) {
        statement.offset = this.expr();
        this.expectKeyword('ROW', 'ROWS');
        if (this.keyword('FETCH')) {
          this.expectKeyword('NEXT', 'FIRST');
          statement.fetch = this.expr();
          this.expectKeyword('ROW', 'ROWS');
          this.expectKeyword('ONLY');
        }
      }
    }
    this.checkUnsupported();
    if (statement.top !== undefined && statement.offset !== undefined) {
      throw new SqlServerError(10741, 'A TOP can not be used in the same query or sub-query as a OFFSET.', {
        state: 2,
      });
    }
    return statement;
  }

  /** [INNER] JOIN t [AS] a ON ..., LEFT [OUTER] JOIN ...; RIGHT, FULL and CROSS are refused. */
  private joins(): JoinClause[] {
    const joins: JoinClause[] = [];
    for (;;) {
      let type: 'inner' | 'left';
      if (this.keyword('JOIN')) type = 'inner';
      else if (isKeyword(this.t, 'INNER') && isKeyword(this.peek(), 'JOIN')) {
        this.i += 2;
        type = 'inner';
      } else if (isKeyword(this.t, 'LEFT')) {
        this.i++;
        this.keyword('OUTER');
        this.expectKeyword('JOIN');
        type = 'left';
      } else if (isKeyword(this.t, 'RIGHT', 'FULL', 'CROSS')) {
        throw notSupported(`${this.t.value.toUpperCase()} JOIN`);
      } else return joins;
      if (isKeyword(this.t, 'LOOP', 'HASH', 'MERGE', 'REMOTE')) throw notSupported('join hints');
      const table = this.tableRef();
      this.expectKeyword('ON');
      joins.push({ type, table, on: this.condition() });
    }
  }

  private checkUnsupported(): void {
    const t = this.t;
    if (t.kind !== 'word') return;
    const word = t.value.toUpperCase();
    if (UNSUPPORTED_IN_SELECT.has(word)) throw notSupported(word === 'GROUP' ? 'GROUP BY' : word);
  }

  private selectItem(): SelectItem {
    if (this.op('*')) return { k: 'star' };
    const t = this.t;
    if ((t.kind === 'word' || t.kind === 'quoted') && this.peek().text === '.' && this.peek(2).text === '*') {
      this.i += 3;
      return { k: 'star', qualifier: t.value };
    }
    // alias = expression (the old T-SQL form)
    if (
      (t.kind === 'word' || t.kind === 'quoted' || t.kind === 'string') &&
      this.peek().text === '=' &&
      !isReserved(t)
    ) {
      this.i += 2;
      return { k: 'expr', expr: this.expr(), alias: t.value };
    }
    const expr = this.expr();
    const alias = this.alias();
    return alias === undefined ? { k: 'expr', expr } : { k: 'expr', expr, alias };
  }

  private alias(): string | undefined {
    if (this.keyword('AS')) {
      const t = this.t;
      if (t.kind === 'word' || t.kind === 'quoted' || t.kind === 'string') {
        if (t.kind === 'word' && isReserved(t)) this.fail();
        this.i++;
        return t.value;
      }
      this.fail();
    }
    const t = this.t;
    if (
      t.kind === 'quoted' ||
      t.kind === 'string' ||
      (t.kind === 'word' && !isReserved(t) && !this.isClauseWord(t))
    ) {
      this.i++;
      return t.value;
    }
    return undefined;
  }

  /** Non-reserved words that still start a clause here, so they are never read as an alias. */
  private isClauseWord(t: Token): boolean {
    return isKeyword(t, 'OFFSET', 'ROWS', 'ROW', 'FETCH', 'NEXT', 'ONLY', 'WINDOW');
  }

  private tableRef(): TableRef {
    const start = this.t.pos;
    if (this.t.text === '(') return this.derivedTable();
    const parts: string[] = [];
    for (;;) {
      const t = this.t;
      if (t.kind === 'word' || t.kind === 'quoted') {
        if (t.kind === 'word' && isReserved(t)) this.fail();
        parts.push(t.value);
        this.i++;
      } else if (t.text === '.' && parts.length > 0) {
        parts.push(''); // database..name
      } else this.fail();
      if (!this.op('.')) break;
    }
    if (parts.length > 3) throw notSupported('linked server names');
    if (this.t.text === '(') throw notSupported('table-valued functions');
    const end = this.tokens[this.i - 1];
    const text = end === undefined ? '' : this.textBetween(start, end);
    const alias = this.alias();
    if (isKeyword(this.t, 'WITH') && this.peek().text === '(') throw notSupported('table hints');
    return alias === undefined ? { parts, text } : { parts, text, alias };
  }

  /** (SELECT ...) AS alias: the alias is required, and ORDER BY only with TOP or OFFSET. */
  private derivedTable(): TableRef {
    this.i++;
    if (!isKeyword(this.t, 'SELECT')) this.fail();
    const subquery = this.select();
    this.expectOp(')');
    if (subquery.orderBy !== undefined && subquery.top === undefined && subquery.offset === undefined) {
      throw new SqlServerError(
        1033,
        'The ORDER BY clause is invalid in views, inline functions, derived tables, subqueries, and common table expressions, unless TOP, OFFSET or FOR XML is also specified.',
      );
    }
    const alias = this.alias();
    if (alias === undefined) this.fail(this.tokens[this.i - 1]);
    return { parts: [], text: alias, alias, subquery };
  }

  private textBetween(start: number, end: Token): string {
    const pieces: string[] = [];
    for (const t of this.tokens) {
      if (t.pos >= start && t.pos <= end.pos) pieces.push(t.kind === 'quoted' ? t.value : t.text);
    }
    return pieces.join('');
  }

  /* ------------------------------------------------------------ conditions ------------------------------------------------------------ */

  private condition(): Condition {
    let left = this.andCondition();
    while (this.keyword('OR')) left = { k: 'or', left, right: this.andCondition() };
    return left;
  }

  private andCondition(): Condition {
    let left = this.notCondition();
    while (this.keyword('AND')) left = { k: 'and', left, right: this.notCondition() };
    return left;
  }

  private notCondition(): Condition {
    if (this.keyword('NOT')) return { k: 'not', cond: this.notCondition() };
    if (isKeyword(this.t, 'EXISTS')) throw notSupported('EXISTS');
    if (this.t.text === '(' && !isKeyword(this.peek(), 'SELECT')) {
      // Either a parenthesised condition or an expression such as (a + b) > 3: try the condition first.
      const save = this.i;
      try {
        this.i++;
        const cond = this.condition();
        this.expectOp(')');
        if (!this.continuesExpression(this.t)) return cond;
      } catch (error) {
        if (!(error instanceof SqlServerError) || error.number === 40517) throw error;
      }
      this.i = save;
    }
    return this.predicate();
  }

  private continuesExpression(t: Token): boolean {
    return (
      (t.kind === 'op' &&
        ['=', '<>', '!=', '<', '>', '<=', '>=', '!<', '!>', '+', '-', '*', '/', '%'].includes(t.text)) ||
      isKeyword(t, 'IS', 'IN', 'LIKE', 'BETWEEN', 'NOT')
    );
  }

  private predicate(): Condition {
    const left = this.expr();
    const t = this.t;
    if (t.kind === 'op') {
      const ops: Record<string, CompareOp> = {
        '=': '=',
        '<>': '<>',
        '!=': '<>',
        '<': '<',
        '>': '>',
        '<=': '<=',
        '>=': '>=',
        '!<': '>=',
        '!>': '<=',
      };
      const op = ops[t.text];
      if (op !== undefined) {
        this.i++;
        if (isKeyword(this.t, 'ANY', 'ALL', 'SOME')) throw notSupported(this.t.value.toUpperCase());
        return { k: 'compare', op, left, right: this.expr() };
      }
    }
    if (this.keyword('IS')) {
      const not = this.keyword('NOT');
      this.expectKeyword('NULL');
      return { k: 'isnull', expr: left, not };
    }
    const not = this.keyword('NOT');
    if (this.keyword('LIKE')) {
      const pattern = this.expr();
      if (this.keyword('ESCAPE')) return { k: 'like', expr: left, pattern, escape: this.expr(), not };
      return { k: 'like', expr: left, pattern, not };
    }
    if (this.keyword('IN')) {
      this.expectOp('(');
      if (isKeyword(this.t, 'SELECT')) throw notSupported('IN (subquery)');
      const list: Expr[] = [];
      do {
        list.push(this.expr());
      } while (this.op(','));
      this.expectOp(')');
      return { k: 'in', expr: left, list, not };
    }
    if (this.keyword('BETWEEN')) {
      const low = this.expr();
      this.expectKeyword('AND');
      return { k: 'between', expr: left, low, high: this.expr(), not };
    }
    if (isKeyword(this.t, 'CONTAINS', 'FREETEXT')) throw notSupported(this.t.value.toUpperCase());
    return this.fail();
  }

  /* ------------------------------------------------------------ expressions ------------------------------------------------------------ */

  private expr(): Expr {
    let left = this.term();
    for (;;) {
      const t = this.t;
      if (t.kind === 'op' && (t.text === '+' || t.text === '-')) {
        this.i++;
        left = { k: 'binary', op: t.text, left, right: this.term() };
      } else return left;
    }
  }

  private term(): Expr {
    let left = this.unary();
    for (;;) {
      const t = this.t;
      if (t.kind === 'op' && (t.text === '*' || t.text === '/' || t.text === '%')) {
        this.i++;
        left = { k: 'binary', op: t.text, left, right: this.unary() };
      } else return left;
    }
  }

  private unary(): Expr {
    const t = this.t;
    if (t.kind === 'op' && (t.text === '-' || t.text === '+')) {
      this.i++;
      return { k: 'unary', op: t.text, expr: this.unary() };
    }
    const expr = this.primary();
    if (this.keyword('COLLATE')) {
      const name = this.t;
      if (name.kind !== 'word') this.fail();
      this.i++;
      return { k: 'collate', expr, collation: name.value };
    }
    return expr;
  }

  private primary(): Expr {
    const t = this.t;
    switch (t.kind) {
      case 'number':
        this.i++;
        return { k: 'number', text: t.text };
      case 'string':
        this.i++;
        return { k: 'string', value: t.value, national: t.national === true };
      case 'param':
        this.i++;
        return { k: 'param', name: t.value };
      case 'sysvar':
        this.i++;
        return { k: 'sysvar', name: t.value };
      case 'op':
        if (t.text === '(') {
          if (isKeyword(this.peek(), 'SELECT')) throw notSupported('(subquery)');
          this.i++;
          const inner = this.expr();
          this.expectOp(')');
          return inner;
        }
        return this.fail();
      case 'word':
      case 'quoted': {
        if (t.kind === 'word') {
          const upper = t.value.toUpperCase();
          if (upper === 'NULL') {
            this.i++;
            return { k: 'null' };
          }
          if (upper === 'CURRENT_TIMESTAMP') {
            this.i++;
            return { k: 'func', name: 'GETDATE', args: [], star: false, distinct: false };
          }
          if (upper === 'EXISTS') throw notSupported(upper);
          if (upper === 'CASE') return this.caseExpr();
          if ((upper === 'CAST' || upper === 'CONVERT') && this.peek().text === '(') return this.cast(upper);
          const callable = this.peek().text === '(' && CALLABLE_KEYWORDS.has(upper);
          if (isReserved(t) && !callable) this.fail();
          if (this.peek().text === '(') return this.call(t);
        }
        return this.columnRef();
      }
      default:
        return this.fail();
    }
  }

  /** CASE [operand] WHEN ... THEN ... [ELSE ...] END; a simple CASE becomes operand = value tests. */
  private caseExpr(): Expr {
    this.i++;
    const operand = isKeyword(this.t, 'WHEN') ? undefined : this.expr();
    const whens: { cond: Condition; result: Expr }[] = [];
    while (this.keyword('WHEN')) {
      const cond: Condition =
        operand === undefined
          ? this.condition()
          : { k: 'compare', op: '=', left: operand, right: this.expr() };
      this.expectKeyword('THEN');
      whens.push({ cond, result: this.expr() });
    }
    if (whens.length === 0) this.fail();
    const otherwise = this.keyword('ELSE') ? this.expr() : undefined;
    this.expectKeyword('END');
    return otherwise === undefined ? { k: 'case', whens } : { k: 'case', whens, else: otherwise };
  }

  /** CAST(expr AS type) and CONVERT(type, expr [, style]). */
  private cast(fn: 'CAST' | 'CONVERT'): Expr {
    this.i += 2;
    if (fn === 'CAST') {
      const expr = this.expr();
      this.expectKeyword('AS');
      const type = this.typeName();
      this.expectOp(')');
      return { k: 'cast', expr, type, fn };
    }
    const type = this.typeName();
    this.expectOp(',');
    const expr = this.expr();
    const style = this.op(',') ? this.expr() : undefined;
    this.expectOp(')');
    return style === undefined ? { k: 'cast', expr, type, fn } : { k: 'cast', expr, type, style, fn };
  }

  /** A data type as written: NVARCHAR(50), DECIMAL(18, 2), VARCHAR(MAX), INT. */
  private typeName(): string {
    const name = this.t;
    if (name.kind !== 'word' && name.kind !== 'quoted') this.fail();
    this.i++;
    if (!this.op('(')) return name.value;
    const args: string[] = [];
    do {
      const t = this.t;
      if (t.kind !== 'number' && !isKeyword(t, 'MAX')) this.fail();
      args.push(t.text.toUpperCase());
      this.i++;
    } while (this.op(','));
    this.expectOp(')');
    return `${name.value}(${args.join(',')})`;
  }

  private call(name: Token): Expr {
    this.i += 2;
    const upper = name.value.toUpperCase();
    if (this.op('*')) {
      this.expectOp(')');
      return { k: 'func', name: upper, args: [], star: true, distinct: false };
    }
    let distinct = false;
    if (this.keyword('DISTINCT')) distinct = true;
    else this.keyword('ALL');
    const args: Expr[] = [];
    if (!this.op(')')) {
      do {
        args.push(this.expr());
        if (isKeyword(this.t, 'AS')) throw notSupported(upper);
      } while (this.op(','));
      this.expectOp(')');
    }
    if (isKeyword(this.t, 'OVER')) throw notSupported('OVER');
    return { k: 'func', name: upper, args, star: false, distinct };
  }

  private columnRef(): Expr {
    const parts: string[] = [];
    const written: string[] = [];
    for (;;) {
      const t = this.t;
      if (t.kind !== 'word' && t.kind !== 'quoted') this.fail();
      if (t.kind === 'word' && isReserved(t)) this.fail();
      parts.push(t.value);
      written.push(t.value);
      this.i++;
      if (this.t.text === '.' && (this.peek().kind === 'word' || this.peek().kind === 'quoted')) {
        this.i++;
        continue;
      }
      break;
    }
    if (parts.length > 4) this.fail();
    return { k: 'column', parts, text: written.join('.') };
  }
}
