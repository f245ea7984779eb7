/**
 * Binds a parsed SELECT to the catalog and translates it to SQLite SQL. Every output column gets its
 * type from the catalog (declared column types), the parameter declarations or the literal, never
 * from the values the query returns.
 */
import { dateTimeFromJsDate, type SqlType, type SqlValue, sameType } from '../sql-type.js';
import { invalidColumn, invalidObject, notSupported, SqlServerError } from './errors.js';
import type { CompareOp, Condition, Expr, SelectStatement } from './parser.js';
import { clash, convertValue, type StorageValue, toStorage } from './values.js';

export interface ColumnDef {
  name: string;
  type: SqlType;
  nullable: boolean;
}

export interface ObjectDef {
  /** Name as the catalog spells it. */
  name: string;
  /** Table or view name in the SQLite file. */
  sqliteName: string;
  columns: ColumnDef[];
}

export interface BoundParam {
  name: string;
  type: SqlType;
  value: SqlValue;
}

export interface BindContext {
  database: string;
  lookup(name: string): ObjectDef | undefined;
  /** Parameters by lower-case name including '@'. */
  params: Map<string, BoundParam>;
  /** Declared parameter names (lower case) whose value was not supplied. */
  missingParams?: Set<string>;
  now: Date;
  version: string;
  spid: number;
  serverName: string;
}

export interface OutputColumn {
  name: string;
  type: SqlType;
  nullable: boolean;
}

export interface CompiledSelect {
  sql: string;
  binds: Record<string, StorageValue>;
  columns: OutputColumn[];
  /** Read integers as BigInt (needed for BIGINT and DECIMAL outputs). */
  safeIntegers: boolean;
}

interface Typed {
  sql: string;
  /** null: the type of a bare NULL literal. */
  type: SqlType | null;
  nullable: boolean;
  constant?: { value: SqlValue };
  aggregate?: boolean;
  /** A column reference or an expression over columns outside an aggregate. */
  usesColumns?: boolean;
  columnName?: string;
  /** Arithmetic over DECIMAL values, computed in floating point: fine to compare, not to return. */
  approximate?: boolean;
}

const PRECEDENCE: Record<SqlType['kind'], number> = {
  datetime2: 9,
  datetime: 8,
  date: 7,
  float: 6,
  decimal: 5,
  bigint: 4,
  int: 3,
  bit: 2,
  nvarchar: 1,
};

const NUMERIC = new Set<SqlType['kind']>(['int', 'bigint', 'float', 'bit', 'decimal']);
const TEMPORAL = new Set<SqlType['kind']>(['date', 'datetime2', 'datetime']);

/** T-SQL built-ins the emulator does not run (anything else unknown is Msg 195). */
const KNOWN_BUILTINS = new Set(
  (
    'CAST CONVERT COALESCE NULLIF IIF CHOOSE SUBSTRING LEFT RIGHT REPLACE CHARINDEX PATINDEX CONCAT CONCAT_WS ' +
    'FORMAT STR STUFF REPLICATE REVERSE SPACE QUOTENAME ASCII UNICODE CHAR NCHAR SOUNDEX DIFFERENCE STRING_AGG ' +
    'STRING_SPLIT TRANSLATE DATEADD DATEDIFF DATEDIFF_BIG DATEPART DATENAME YEAR MONTH DAY EOMONTH DATEFROMPARTS ' +
    'DATETIME2FROMPARTS SYSDATETIMEOFFSET SWITCHOFFSET TODATETIMEOFFSET ISDATE ISNUMERIC ABS CEILING FLOOR ROUND ' +
    'POWER SQRT SQUARE EXP LOG LOG10 SIGN PI RAND SIN COS TAN SUM AVG STDEV STDEVP VAR VARP CHECKSUM ' +
    'CHECKSUM_AGG BINARY_CHECKSUM HASHBYTES NEWID NEWSEQUENTIALID ROW_NUMBER RANK DENSE_RANK NTILE LAG LEAD ' +
    'FIRST_VALUE LAST_VALUE TRY_CAST TRY_CONVERT TRY_PARSE PARSE SERVERPROPERTY DATABASEPROPERTYEX OBJECT_ID ' +
    'OBJECT_NAME DB_ID SCHEMA_NAME SCHEMA_ID USER_NAME SUSER_NAME SUSER_SNAME HOST_NAME APP_NAME SCOPE_IDENTITY ' +
    'IDENT_CURRENT ERROR_MESSAGE ERROR_NUMBER JSON_VALUE JSON_QUERY OPENJSON ISJSON COL_LENGTH TYPE_NAME GROUPING ' +
    'CURRENT_USER SESSION_USER SYSTEM_USER GREATEST LEAST'
  ).split(' '),
);

export function compileSelect(statement: SelectStatement, ctx: BindContext): CompiledSelect {
  return new Binder(ctx).select(statement);
}

class Binder {
  private readonly binds: Record<string, StorageValue> = {};
  private bindCount = 0;
  private object: ObjectDef | undefined;
  private tableParts: string[] = [];
  private alias: string | undefined;
  private readonly scope: { where: boolean } = { where: false };

  constructor(private readonly ctx: BindContext) {}

  select(s: SelectStatement): CompiledSelect {
    if (s.from !== undefined) {
      this.bindFrom(s.from.parts, s.from.text);
      this.alias = s.from.alias;
    }
    const outputs: { typed: Typed; name: string }[] = [];
    for (const item of s.items) {
      if (item.k === 'star') {
        if (this.object === undefined) {
          throw new SqlServerError(263, 'Must specify table to select from.');
        }
        if (item.qualifier !== undefined && !this.qualifierMatches([item.qualifier])) {
          throw new SqlServerError(4104, `The multi-part identifier "${item.qualifier}" could not be bound.`);
        }
        for (const column of this.object.columns) {
          outputs.push({
            typed: {
              sql: `t.${quoteIdent(column.name)}`,
              type: column.type,
              nullable: column.nullable,
              usesColumns: true,
            },
            name: column.name,
          });
        }
        continue;
      }
      const typed = this.expr(item.expr);
      if (typed.approximate === true) throw notSupported('arithmetic on DECIMAL values in the select list');
      outputs.push({ typed, name: item.alias ?? typed.columnName ?? '' });
    }
    const hasAggregate = outputs.some((o) => o.typed.aggregate === true);
    if (hasAggregate) {
      const bad = outputs.find((o) => o.typed.usesColumns === true);
      if (bad !== undefined) {
        throw new SqlServerError(
          8120,
          `Column '${bad.name}' is invalid in the select list because it is not contained in either an aggregate function or the GROUP BY clause.`,
        );
      }
    }

    const columns: OutputColumn[] = outputs.map((o) => {
      if (o.typed.type === null) return { name: o.name, type: { kind: 'int' }, nullable: true };
      return { name: o.name, type: o.typed.type, nullable: o.typed.nullable };
    });

    let sql = `SELECT ${s.distinct ? 'DISTINCT ' : ''}${outputs.map((o, i) => `${o.typed.sql} AS c${i}`).join(', ')}`;
    if (this.object !== undefined) sql += ` FROM ${quoteIdent(this.object.sqliteName)} AS t`;
    if (s.where !== undefined) {
      this.scope.where = true;
      sql += ` WHERE ${this.condition(s.where)}`;
      this.scope.where = false;
    }
    if (s.orderBy !== undefined && s.orderBy.length > 0) {
      const parts = s.orderBy.map((item) => {
        const expr = this.orderExpr(item.expr, outputs, s.distinct);
        if (hasAggregate && expr.usesColumns === true) {
          throw new SqlServerError(
            8127,
            `Column "${expr.columnName ?? ''}" is invalid in the ORDER BY clause because it is not contained in either an aggregate function or the GROUP BY clause.`,
          );
        }
        return `${expr.sql}${item.desc ? ' DESC' : ''}`;
      });
      sql += ` ORDER BY ${parts.join(', ')}`;
    }
    if (s.top !== undefined) {
      const top = this.rowCount(s.top, 'TOP');
      sql += ` LIMIT ${top}`;
    } else if (s.offset !== undefined) {
      const offset = this.rowCount(s.offset, 'OFFSET');
      const fetch = s.fetch === undefined ? -1n : this.rowCount(s.fetch, 'FETCH');
      sql += ` LIMIT ${fetch} OFFSET ${offset}`;
    }
    const safeIntegers = columns.some((c) => c.type.kind === 'bigint' || c.type.kind === 'decimal');
    return { sql, binds: this.binds, columns, safeIntegers };
  }

  private rowCount(expr: Expr, clause: 'TOP' | 'OFFSET' | 'FETCH'): bigint {
    const typed = this.expr(expr);
    if (typed.constant === undefined || typed.type === null || !['int', 'bigint'].includes(typed.type.kind)) {
      if (clause === 'TOP') {
        throw new SqlServerError(
          1060,
          'The number of rows provided for a TOP or FETCH clauses row count parameter must be an integer.',
        );
      }
      throw new SqlServerError(
        10743,
        `The number of rows provided for a ${clause} clause must be an integer.`,
      );
    }
    const value = BigInt(typed.constant.value as number | bigint);
    if (clause === 'TOP' && value < 0n) {
      throw new SqlServerError(
        1060,
        'The number of rows provided for a TOP or FETCH clauses row count parameter must be an integer.',
      );
    }
    if (clause === 'OFFSET' && value < 0n) {
      throw new SqlServerError(10742, 'The offset specified in a OFFSET clause may not be negative.');
    }
    if (clause === 'FETCH' && value <= 0n) {
      throw new SqlServerError(
        10744,
        'The number of rows provided for a FETCH clause must be greater then zero.',
      );
    }
    return value;
  }

  private bindFrom(parts: string[], text: string): void {
    const name = parts[parts.length - 1] ?? '';
    if (parts.length >= 2) {
      const schema = parts[parts.length - 2] ?? '';
      if (schema !== '' && schema.toLowerCase() !== 'dbo') throw invalidObject(text);
    }
    if (parts.length === 3) {
      const db = parts[0] ?? '';
      if (db.toLowerCase() !== this.ctx.database.toLowerCase()) {
        throw notSupported(`cross-database query to '${db}' (connect to that database or USE it)`);
      }
    }
    const object = this.ctx.lookup(name);
    if (object === undefined) throw invalidObject(text);
    this.object = object;
    this.tableParts = parts;
  }

  private qualifierMatches(qualifier: string[]): boolean {
    const q = qualifier.map((p) => p.toLowerCase());
    if (this.alias !== undefined) return q.length === 1 && q[0] === this.alias.toLowerCase();
    const table = this.tableParts.map((p) => p.toLowerCase());
    const name = table[table.length - 1];
    if (q.length === 1) return q[0] === name;
    if (q.length === 2) return q[1] === name && q[0] === 'dbo';
    if (q.length === 3) return q[2] === name && q[1] === 'dbo' && q[0] === this.ctx.database.toLowerCase();
    return false;
  }

  private bind(value: SqlValue, type: SqlType): string {
    const name = `b${this.bindCount++}`;
    this.binds[name] = toStorage(value, type);
    return `@${name}`;
  }

  private constant(value: SqlValue, type: SqlType | null): Typed {
    if (value === null || type === null)
      return { sql: 'NULL', type, nullable: true, constant: { value: null } };
    return { sql: this.bind(value, type), type, nullable: false, constant: { value } };
  }

  /* ------------------------------------------------------------ expressions ------------------------------------------------------------ */

  private expr(e: Expr): Typed {
    switch (e.k) {
      case 'number':
        return this.numberLiteral(e.text);
      case 'string':
        return this.constant(e.value, {
          kind: 'nvarchar',
          length: Math.max(1, e.value.length) > 4000 ? 'max' : Math.max(1, e.value.length),
        });
      case 'null':
        return this.constant(null, null);
      case 'param': {
        const key = e.name.toLowerCase();
        const param = this.ctx.params.get(key);
        if (param === undefined) {
          if (this.ctx.missingParams?.has(key)) {
            throw new SqlServerError(
              8178,
              `The parameterized query expects the parameter '${e.name}', which was not supplied.`,
            );
          }
          throw new SqlServerError(137, `Must declare the scalar variable "${e.name}".`, {
            severity: 15,
            state: 2,
          });
        }
        const typed = this.constant(param.value, param.type);
        return { ...typed, type: param.type, nullable: param.value === null };
      }
      case 'sysvar':
        return this.sysvar(e.name);
      case 'column':
        return this.column(e.parts, e.text);
      case 'unary': {
        const inner = this.expr(e.expr);
        if (e.op === '+') return inner;
        if (inner.type !== null && !NUMERIC.has(inner.type.kind)) {
          throw new SqlServerError(
            8117,
            `Operand data type ${inner.type.kind} is invalid for minus operator.`,
          );
        }
        if (inner.constant !== undefined && inner.type !== null) {
          const v = inner.constant.value;
          const negated =
            v === null
              ? null
              : typeof v === 'bigint'
                ? -v
                : typeof v === 'number'
                  ? -v
                  : typeof v === 'string'
                    ? v.startsWith('-')
                      ? v.slice(1)
                      : `-${v}`
                    : v;
          return this.constant(negated, inner.type);
        }
        return { ...inner, sql: `(-${inner.sql})`, constant: undefined };
      }
      case 'binary':
        return this.arithmetic(e.op, this.expr(e.left), this.expr(e.right));
      case 'func':
        return this.call(e);
    }
  }

  private numberLiteral(text: string): Typed {
    if (/e/i.test(text)) return this.constant(Number(text), { kind: 'float' });
    if (text.includes('.')) {
      const [whole = '', fraction = ''] = text.split('.');
      const digits = whole.replace(/^0+/, '').length + fraction.length;
      const precision = Math.max(1, digits, fraction.length);
      if (precision > 38) return this.constant(Number(text), { kind: 'float' });
      const type: SqlType = { kind: 'decimal', precision, scale: fraction.length };
      return this.constant(convertValue(text, type, type), type);
    }
    const n = BigInt(text);
    if (n <= 2147483647n) return this.constant(Number(n), { kind: 'int' });
    if (n <= 9223372036854775807n) return this.constant(n, { kind: 'bigint' });
    return this.constant(text, { kind: 'decimal', precision: Math.min(38, text.length), scale: 0 });
  }

  private sysvar(name: string): Typed {
    switch (name.toUpperCase()) {
      case '@@VERSION':
        return this.constant(this.ctx.version, { kind: 'nvarchar', length: 300 });
      case '@@SPID':
        return this.constant(this.ctx.spid, { kind: 'int' });
      case '@@SERVERNAME':
      case '@@SERVICENAME':
        return this.constant(this.ctx.serverName, { kind: 'nvarchar', length: 128 });
      case '@@ROWCOUNT':
      case '@@ERROR':
      case '@@TRANCOUNT':
        return this.constant(0, { kind: 'int' });
      default:
        throw notSupported(name.toUpperCase());
    }
  }

  private column(parts: string[], text: string): Typed {
    const name = parts[parts.length - 1] ?? '';
    if (this.object === undefined) throw invalidColumn(name);
    if (parts.length > 1 && !this.qualifierMatches(parts.slice(0, -1))) {
      throw new SqlServerError(4104, `The multi-part identifier "${text}" could not be bound.`);
    }
    const column = this.object.columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
    if (column === undefined) throw invalidColumn(name);
    return {
      sql: `t.${quoteIdent(column.name)}`,
      type: column.type,
      nullable: column.nullable,
      usesColumns: true,
      columnName: name,
    };
  }

  private orderExpr(e: Expr, outputs: { typed: Typed; name: string }[], distinct: boolean): Typed {
    if (e.k === 'number' && /^\d+$/.test(e.text)) {
      const index = Number(e.text) - 1;
      const output = outputs[index];
      if (output === undefined) {
        throw new SqlServerError(
          108,
          `The ORDER BY position number ${e.text} is out of range of the number of items in the select list.`,
        );
      }
      return { ...output.typed, sql: `c${index}` };
    }
    if (e.k === 'column' && e.parts.length === 1) {
      const name = (e.parts[0] ?? '').toLowerCase();
      const index = outputs.findIndex((o) => o.name.toLowerCase() === name);
      if (index >= 0) {
        const output = outputs[index] as { typed: Typed; name: string };
        return { ...output.typed, sql: `c${index}`, columnName: output.name };
      }
    }
    const typed = this.expr(e);
    if (distinct && typed.usesColumns === true) {
      throw new SqlServerError(
        145,
        'ORDER BY items must appear in the select list if SELECT DISTINCT is specified.',
      );
    }
    return typed;
  }

  private arithmetic(op: '+' | '-' | '*' | '/' | '%', left: Typed, right: Typed): Typed {
    const usesColumns = left.usesColumns === true || right.usesColumns === true;
    const aggregate = left.aggregate === true || right.aggregate === true;
    if (
      op === '+' &&
      (left.type?.kind === 'nvarchar' || left.type === null) &&
      (right.type?.kind === 'nvarchar' || right.type === null)
    ) {
      const length = (t: SqlType | null): number | 'max' => (t?.kind === 'nvarchar' ? t.length : 1);
      const l = length(left.type);
      const r = length(right.type);
      const total = l === 'max' || r === 'max' || l + r > 4000 ? 'max' : l + r;
      return {
        sql: `(${left.sql} || ${right.sql})`,
        type: { kind: 'nvarchar', length: total },
        nullable: true,
        usesColumns,
        aggregate,
      };
    }
    for (const side of [left, right]) {
      if (side.type !== null && !NUMERIC.has(side.type.kind)) {
        throw new SqlServerError(
          8117,
          `Operand data type ${side.type.kind} is invalid for ${op === '+' ? 'add' : op === '-' ? 'subtract' : op === '*' ? 'multiply' : op === '/' ? 'divide' : 'modulo'} operator.`,
        );
      }
    }
    const kinds = [left.type?.kind, right.type?.kind];
    const type: SqlType =
      kinds.includes('float') || kinds.includes('decimal')
        ? { kind: 'float' }
        : kinds.includes('bigint')
          ? { kind: 'bigint' }
          : { kind: 'int' };
    const l = this.convertSql(left, type);
    const r = this.convertSql(right, type);
    const sql = op === '/' ? `(${l} / NULLIF(${r}, 0))` : `(${l} ${op} ${r})`;
    return { sql, type, nullable: true, usesColumns, aggregate, approximate: kinds.includes('decimal') };
  }

  private call(e: Extract<Expr, { k: 'func' }>): Typed {
    const name = e.name;
    const argCount = (n: number): void => {
      if (e.args.length !== n || e.star) {
        throw new SqlServerError(174, `The ${name.toLowerCase()} function requires ${n} argument(s).`, {
          severity: 15,
        });
      }
    };
    switch (name) {
      case 'GETDATE':
      case 'GETUTCDATE':
        argCount(0);
        return this.constant(dateTimeFromJsDate(this.ctx.now), { kind: 'datetime' });
      case 'SYSDATETIME':
      case 'SYSUTCDATETIME':
        argCount(0);
        return this.constant(dateTimeFromJsDate(this.ctx.now), { kind: 'datetime2', scale: 7 });
      case 'DB_NAME':
        if (e.args.length > 0) throw notSupported('DB_NAME(database_id)');
        return this.constant(this.ctx.database, { kind: 'nvarchar', length: 128 });
      case 'ISNULL': {
        argCount(2);
        const [a, b] = e.args.map((arg) => this.expr(arg)) as [Typed, Typed];
        const type = a.type ?? b.type;
        if (type === null) return this.constant(null, null);
        const bSql = this.convertSql(b, type);
        return {
          sql: `IFNULL(${this.convertSql(a, type)}, ${bSql})`,
          type,
          nullable: a.nullable && b.nullable,
          usesColumns: a.usesColumns === true || b.usesColumns === true,
          aggregate: a.aggregate === true || b.aggregate === true,
          columnName: undefined,
        };
      }
      case 'UPPER':
      case 'LOWER':
      case 'LTRIM':
      case 'RTRIM':
      case 'TRIM': {
        argCount(1);
        const a = this.expr(e.args[0] as Expr);
        if (a.type !== null && a.type.kind !== 'nvarchar')
          throw notSupported(`${name} on a non-character value`);
        return {
          ...a,
          sql: `tsql_${name.toLowerCase()}(${a.sql})`,
          constant: undefined,
          columnName: undefined,
        };
      }
      case 'LEN': {
        argCount(1);
        const a = this.expr(e.args[0] as Expr);
        if (a.type !== null && a.type.kind !== 'nvarchar') throw notSupported('LEN on a non-character value');
        return {
          ...a,
          sql: `tsql_len(${a.sql})`,
          type: { kind: 'int' },
          constant: undefined,
          columnName: undefined,
        };
      }
      case 'COUNT':
      case 'COUNT_BIG': {
        this.checkAggregateAllowed();
        const type: SqlType = name === 'COUNT' ? { kind: 'int' } : { kind: 'bigint' };
        if (e.star) return { sql: 'COUNT(*)', type, nullable: false, aggregate: true };
        argCount(1);
        const a = this.expr(e.args[0] as Expr);
        this.checkNotNestedAggregate(a);
        return {
          sql: `COUNT(${e.distinct ? 'DISTINCT ' : ''}${a.sql})`,
          type,
          nullable: false,
          aggregate: true,
        };
      }
      case 'MIN':
      case 'MAX': {
        this.checkAggregateAllowed();
        argCount(1);
        const a = this.expr(e.args[0] as Expr);
        this.checkNotNestedAggregate(a);
        return { sql: `${name}(${a.sql})`, type: a.type, nullable: true, aggregate: true };
      }
      default:
        if (KNOWN_BUILTINS.has(name)) throw notSupported(`${name} function`);
        throw new SqlServerError(195, `'${name}' is not a recognized built-in function name.`, {
          severity: 15,
          state: 10,
        });
    }
  }

  /** SQL Server's Msg 147: aggregates belong in the select list, not in WHERE. */
  private checkAggregateAllowed(): void {
    if (this.scope.where) {
      throw new SqlServerError(
        147,
        'An aggregate may not appear in the WHERE clause unless it is in a subquery contained in a HAVING clause or a select list, and the column being aggregated is an outer reference.',
        { severity: 15 },
      );
    }
  }

  /** SQL Server's Msg 130: no aggregate of an aggregate. */
  private checkNotNestedAggregate(argument: Typed): void {
    if (argument.aggregate) {
      throw new SqlServerError(
        130,
        'Cannot perform an aggregate function on an expression containing an aggregate or a subquery.',
      );
    }
  }

  /* ------------------------------------------------------------ conversions ------------------------------------------------------------ */

  /** SQL for a typed expression in the representation of another type (implicit conversion). */
  private convertSql(t: Typed, to: SqlType): string {
    if (t.type === null) return 'NULL';
    if (t.constant !== undefined) {
      if (sameType(t.type, to) || (t.type.kind === 'nvarchar' && to.kind === 'nvarchar')) return t.sql;
      return this.bind(convertValue(t.constant.value, t.type, to), to);
    }
    const from = t.type;
    if (from.kind === to.kind) {
      if (from.kind === 'decimal' && to.kind === 'decimal') {
        const diff = to.scale - from.scale;
        if (diff > 0) return `(${t.sql} * ${10n ** BigInt(diff)})`;
        if (diff < 0) return `CAST(ROUND(${t.sql} / ${10 ** -diff}.0) AS INTEGER)`;
      }
      return t.sql;
    }
    if (from.kind === 'nvarchar') {
      throw notSupported(`implicit conversion of a character expression to ${to.kind.toUpperCase()}`);
    }
    switch (to.kind) {
      case 'nvarchar':
        if (from.kind === 'int' || from.kind === 'bigint' || from.kind === 'bit' || TEMPORAL.has(from.kind)) {
          return `CAST(${t.sql} AS TEXT)`;
        }
        throw notSupported(`implicit conversion of ${from.kind.toUpperCase()} to NVARCHAR`);
      case 'int':
      case 'bigint':
      case 'bit':
        if (from.kind === 'decimal') return `(${t.sql} / ${10n ** BigInt(from.scale)})`;
        if (from.kind === 'float') return `CAST(${t.sql} AS INTEGER)`;
        if (NUMERIC.has(from.kind)) return t.sql;
        throw clash(from, to);
      case 'float':
        if (from.kind === 'decimal') return `(${t.sql} / ${10 ** from.scale}.0)`;
        if (NUMERIC.has(from.kind)) return `(${t.sql} * 1.0)`;
        throw clash(from, to);
      case 'decimal':
        if (from.kind === 'float') return `CAST(ROUND(${t.sql} * ${10 ** to.scale}.0) AS INTEGER)`;
        if (NUMERIC.has(from.kind)) return to.scale === 0 ? t.sql : `(${t.sql} * ${10n ** BigInt(to.scale)})`;
        throw clash(from, to);
      case 'date':
        if (from.kind === 'datetime2' || from.kind === 'datetime') return `substr(${t.sql}, 1, 10)`;
        throw clash(from, to);
      case 'datetime2':
      case 'datetime':
        if (from.kind === 'date') return `(${t.sql} || ' 00:00:00.0000000')`;
        if (from.kind === 'datetime2' || from.kind === 'datetime') return t.sql;
        throw clash(from, to);
    }
  }

  /** Both sides of a comparison in one representation, following SQL Server's type precedence. */
  private unify(a: Typed, b: Typed): [string, string] {
    if (a.type === null || b.type === null)
      return [a.type === null ? 'NULL' : a.sql, b.type === null ? 'NULL' : b.sql];
    let target: SqlType;
    if (a.type.kind === b.type.kind) {
      if (a.type.kind === 'decimal' && b.type.kind === 'decimal') {
        const scale = Math.max(a.type.scale, b.type.scale);
        target = { kind: 'decimal', precision: 38, scale };
        return [this.convertSql(a, target), this.convertSql(b, target)];
      }
      return [a.sql, b.sql];
    }
    const [high, low] =
      PRECEDENCE[a.type.kind] >= PRECEDENCE[b.type.kind] ? [a.type, b.type] : [b.type, a.type];
    if (
      (TEMPORAL.has(high.kind) && NUMERIC.has(low.kind)) ||
      (TEMPORAL.has(low.kind) && NUMERIC.has(high.kind))
    ) {
      throw clash(low, high);
    }
    target = high;
    if (high.kind === 'decimal' && low.kind !== 'decimal') target = { ...high, precision: 38 };
    return [this.convertSql(a, target), this.convertSql(b, target)];
  }

  /* ------------------------------------------------------------ conditions ------------------------------------------------------------ */

  private condition(c: Condition): string {
    switch (c.k) {
      case 'and':
      case 'or':
        return `(${this.condition(c.left)} ${c.k.toUpperCase()} ${this.condition(c.right)})`;
      case 'not':
        return `(NOT ${this.condition(c.cond)})`;
      case 'compare':
        return this.compare(c.op, this.expr(c.left), this.expr(c.right));
      case 'isnull': {
        const e = this.expr(c.expr);
        return `(${e.sql} IS ${c.not ? 'NOT ' : ''}NULL)`;
      }
      case 'like': {
        const e = this.expr(c.expr);
        const p = this.expr(c.pattern);
        for (const side of [e, p]) {
          if (side.type !== null && side.type.kind !== 'nvarchar')
            throw notSupported('LIKE on a non-character value');
        }
        const escapeSql = c.escape === undefined ? 'NULL' : this.expr(c.escape).sql;
        return `(${c.not ? 'NOT ' : ''}tsql_like(${e.sql}, ${p.sql}, ${escapeSql}))`;
      }
      case 'in': {
        const e = this.expr(c.expr);
        const parts = c.list.map((item) => this.compare('=', e, this.expr(item)));
        return `(${c.not ? 'NOT ' : ''}(${parts.join(' OR ')}))`;
      }
      case 'between': {
        const e = this.expr(c.expr);
        const range = `(${this.compare('>=', e, this.expr(c.low))} AND ${this.compare('<=', e, this.expr(c.high))})`;
        return c.not ? `(NOT ${range})` : range;
      }
    }
  }

  private compare(op: CompareOp, left: Typed, right: Typed): string {
    const [l, r] = this.unify(left, right);
    return `(${l} ${op} ${r})`;
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
