/**
 * Binds a parsed SELECT to the catalog and translates it to SQLite SQL. Every output column gets its
 * type from the catalog (declared column types), the parameter declarations or the literal, never
 * from the values the query returns.
 */

import { storageValue } from '../data/storage.js';
import {
  dateTimeFromJsDate,
  dateTimeOffsetFromJsDate,
  formatSqlType,
  parseSqlType,
  type SqlType,
  type SqlValue,
  sameType,
} from '../sql-type.js';
import { DEFAULT_COLLATION, parseCollation } from './collation.js';
import { describeRows } from './describe.js';
import { invalidColumn, invalidObject, notSupported, SqlServerError } from './errors.js';
import {
  type CompareOp,
  type Condition,
  type Expr,
  parseBatch,
  parseParamDeclarations,
  type SelectStatement,
  type TableRef,
} from './parser.js';
import { clash, convertExplicit, convertValue, exactType, type StorageValue } from './values.js';

export interface ColumnDef {
  name: string;
  type: SqlType;
  nullable: boolean;
  /** Character columns: the column's collation; the database's default when absent. */
  collation?: string;
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
  /** The server zone's wall-clock time (GETDATE(), SYSDATETIME()): a Date whose UTC fields read it. */
  now: Date;
  /** The instant (GETUTCDATE(), SYSUTCDATETIME()); default: `now` less `offsetMinutes`. */
  utcNow?: Date;
  /** The server zone's offset from UTC at `utcNow`, in minutes (SYSDATETIMEOFFSET()); default 0. */
  offsetMinutes?: number;
  version: string;
  spid: number;
  serverName: string;
  /** The database's default collation (literals, parameters, CAST results, columns without one). */
  collation?: string;
  /** Seed of the order in which ORDER BY returns rows it leaves tied (default DEFAULT_TIE_SEED). */
  tieSeed?: number;
}

export const DEFAULT_TIE_SEED = 1;

export interface OutputColumn {
  name: string;
  type: SqlType;
  nullable: boolean;
  /** Character outputs: the collation the value carries. */
  collation?: string;
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
  /** Character values: their collation, explicit (COLLATE) or implicit (a column's); none is the default. */
  coll?: { name: string; explicit: boolean };
  /** The source column a bare column reference reads (its sql is then exactly the column's). */
  ref?: { source: Source; column: SourceColumn };
}

/** A table, view or derived table in FROM, with the name its columns are qualified by. */
interface Source {
  parts: string[];
  alias?: string;
  sqlAlias: string;
  /** The table expression: a quoted view name or a parenthesised SELECT. */
  body: string;
  columns: SourceColumn[];
  /** Collation keys computed once per row in a join (`tsql_ck(col, coll)` → its alias in the source). */
  keys: Map<string, string>;
}

interface SourceColumn {
  name: string;
  /** As the outer query refers to it (t0."nit"), and inside the source's own SELECT ("nit"). */
  sql: string;
  inner: string;
  type: SqlType;
  nullable: boolean;
  collation: string;
}

/** Bind values shared by a query and its derived tables. */
class BindState {
  readonly binds: Record<string, StorageValue> = {};
  count = 0;
}

const OPERATION_NAMES: Record<string, string> = {
  '=': 'equal to',
  '<>': 'not equal to',
  '<': 'less than',
  '>': 'greater than',
  '<=': 'less than or equal to',
  '>=': 'greater than or equal to',
  like: 'like',
};

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
  return new Binder(ctx, new BindState()).select(statement);
}

class Binder {
  private readonly binds: Record<string, StorageValue>;
  private readonly sources: Source[] = [];
  private readonly scope = { where: false, having: false, aggregateDepth: 0 };
  /** GROUP BY expressions (their SQL); column references to them count as grouped while `grouping`. */
  private readonly groupSqls = new Set<string>();
  private grouping = false;
  private readonly defaultCollation: string;

  constructor(
    private readonly ctx: BindContext,
    private readonly state: BindState,
  ) {
    this.binds = state.binds;
    this.defaultCollation = parseCollation(ctx.collation ?? DEFAULT_COLLATION).name;
  }

  select(s: SelectStatement): CompiledSelect {
    if (s.describe !== undefined) return this.describe(s.describe);
    const from = this.fromClause(s);
    const groupKeys = this.groupBy(s);
    const aggregated = s.groupBy !== undefined || s.having !== undefined;
    this.grouping = aggregated;
    const outputs = this.selectList(s);
    this.grouping = false;
    const hasAggregate = aggregated || outputs.some((o) => o.typed.aggregate === true);
    if (hasAggregate) {
      const bad = outputs.find((o) => this.ungrouped(o.typed));
      if (bad !== undefined) {
        throw new SqlServerError(
          8120,
          `Column '${bad.name}' is invalid in the select list because it is not contained in either an aggregate function or the GROUP BY clause.`,
        );
      }
    }
    const columns: OutputColumn[] = outputs.map((o) => this.outputColumn(o));
    const distinctByKey = s.distinct && !hasAggregate;
    const head = `SELECT ${s.distinct && !distinctByKey ? 'DISTINCT ' : ''}${outputs.map((o, i) => `${o.typed.sql} AS c${i}`).join(', ')}`;
    let tail = '';
    if (s.where !== undefined) {
      this.scope.where = true;
      tail += ` WHERE ${this.condition(s.where)}`;
      this.scope.where = false;
    }
    if (distinctByKey) {
      // DISTINCT under the collations: one row per group of values equal under them.
      tail += ` GROUP BY ${columns.map((c, i) => this.keySql(`c${i}`, c.type, c.collation)).join(', ')}`;
    } else if (groupKeys.length > 0) tail += ` GROUP BY ${groupKeys.join(', ')}`;
    this.grouping = aggregated;
    if (s.having !== undefined) {
      this.scope.having = true;
      tail += ` HAVING ${this.condition(s.having)}`;
      this.scope.having = false;
    }
    tail += this.orderBy(s, outputs, columns, hasAggregate);
    this.grouping = false;
    tail += this.limit(s);
    const sql = head + from() + tail;
    const safeIntegers = columns.some((c) => c.type.kind === 'bigint' || c.type.kind === 'decimal');
    return { sql, binds: this.binds, columns, safeIntegers };
  }

  /** GROUP BY: groups by each expression's collation key (so 'AB-1' and 'ab-1' are one group). */
  private groupBy(s: SelectStatement): string[] {
    return (s.groupBy ?? []).map((e) => {
      const typed = this.expr(e);
      if (typed.aggregate === true) {
        throw new SqlServerError(
          144,
          'Cannot use an aggregate or a subquery in an expression used for the group by list of a GROUP BY clause.',
          { severity: 15 },
        );
      }
      this.groupSqls.add(typed.sql);
      return this.keySql(typed.sql, typed.type, typed.coll?.name);
    });
  }

  /** An expression over columns that are neither aggregated nor grouped by. */
  private ungrouped(typed: Typed): boolean {
    return typed.usesColumns === true && !this.groupSqls.has(typed.sql);
  }

  private outputColumn(o: { typed: Typed; name: string }): OutputColumn {
    if (o.typed.type === null) return { name: o.name, type: { kind: 'int' }, nullable: true };
    const column: OutputColumn = { name: o.name, type: o.typed.type, nullable: o.typed.nullable };
    if (o.typed.type.kind === 'nvarchar') column.collation = o.typed.coll?.name ?? this.defaultCollation;
    return column;
  }

  /** SQL comparing values of a type as SQL Server does: character values by their collation key. */
  private keySql(sql: string, type: SqlType | null, collation: string | undefined): string {
    if (type !== null && isWideDecimal(type)) return `tsql_deckey(${sql}, ${type.scale}, ${type.scale})`;
    if (type !== null && isOffset(type)) return `tsql_dtokey(${sql})`;
    if (type?.kind !== 'nvarchar') return sql;
    return `tsql_ck(${sql}, '${collation ?? this.defaultCollation}')`;
  }

  /**
   * A source as SQL. In a join, the collation keys its comparisons use are computed once per row in
   * the source (not once per pair of rows), and LIMIT -1 keeps SQLite from flattening it so it can
   * index them (an automatic index).
   */
  private renderSource(source: Source): string {
    if (source.keys.size === 0) return `${source.body} AS ${source.sqlAlias}`;
    const keys = [...source.keys].map(([expr, alias]) => `${expr} AS ${alias}`).join(', ');
    return `(SELECT *, ${keys} FROM ${source.body} LIMIT -1) AS ${source.sqlAlias}`;
  }

  /** SQL of a character value's collation key; a column's key in a join is computed by its source. */
  private sideKey(side: Typed, sql: string, collation: string | undefined): string {
    const ref = side.ref;
    if (this.sources.length < 2 || ref === undefined || sql !== ref.column.sql) {
      return this.keySql(sql, side.type, collation);
    }
    const expr = `tsql_ck(${ref.column.inner}, '${collation ?? this.defaultCollation}')`;
    let alias = ref.source.keys.get(expr);
    if (alias === undefined) {
      alias = `k${ref.source.keys.size}`;
      ref.source.keys.set(expr, alias);
    }
    return `${ref.source.sqlAlias}.${alias}`;
  }

  /**
   * Binds FROM and its joins; returns a function that writes their SQL once the whole query is
   * bound (a join's sources compute the collation keys its comparisons ask for).
   */
  private fromClause(s: SelectStatement): () => string {
    if (s.from === undefined) return () => '';
    this.addSource(s.from);
    const joins: { type: 'inner' | 'left'; on: string }[] = [];
    for (const join of s.joins ?? []) {
      const added = this.addSource(join.table);
      if (join.type === 'left') for (const column of added.columns) column.nullable = true;
      joins.push({ type: join.type, on: this.condition(join.on) });
    }
    return () => {
      const [first, ...rest] = this.sources.map((source) => this.renderSource(source));
      const joined = rest.map(
        (source, i) => ` ${joins[i]?.type === 'left' ? 'LEFT JOIN' : 'JOIN'} ${source} ON ${joins[i]?.on}`,
      );
      return ` FROM ${first}${joined.join('')}`;
    };
  }

  private selectList(s: SelectStatement): { typed: Typed; name: string }[] {
    const outputs: { typed: Typed; name: string }[] = [];
    for (const item of s.items) {
      if (item.k === 'star') {
        if (this.sources.length === 0) throw new SqlServerError(263, 'Must specify table to select from.');
        const sources =
          item.qualifier === undefined
            ? this.sources
            : this.sources.filter((x) => this.matches(x, [item.qualifier ?? '']));
        if (sources.length === 0) {
          throw new SqlServerError(4104, `The multi-part identifier "${item.qualifier}" could not be bound.`);
        }
        for (const source of sources) {
          for (const column of source.columns) {
            outputs.push({ typed: this.columnTyped(source, column), name: column.name });
          }
        }
        continue;
      }
      const typed = this.expr(item.expr);
      if (typed.approximate === true) throw notSupported('arithmetic on DECIMAL values in the select list');
      outputs.push({ typed, name: item.alias ?? typed.columnName ?? '' });
    }
    return outputs;
  }

  private orderBy(
    s: SelectStatement,
    outputs: { typed: Typed; name: string }[],
    columns: OutputColumn[],
    hasAggregate: boolean,
  ): string {
    if (s.orderBy === undefined || s.orderBy.length === 0) return '';
    const parts = s.orderBy.map((item) => {
      const expr = this.orderExpr(item.expr, outputs, s.distinct);
      if (hasAggregate && this.ungrouped(expr)) {
        throw new SqlServerError(
          8127,
          `Column "${expr.columnName ?? ''}" is invalid in the ORDER BY clause because it is not contained in either an aggregate function or the GROUP BY clause.`,
        );
      }
      const collation = expr.coll?.name ?? this.defaultCollation;
      return `${this.keySql(expr.sql, expr.type, collation)}${item.desc ? ' DESC' : ''}`;
    });
    // Rows the ORDER BY leaves tied come back in no particular order, as on SQL Server.
    if (!hasAggregate || s.groupBy !== undefined) {
      parts.push(
        `tsql_tie(${this.ctx.tieSeed ?? DEFAULT_TIE_SEED}, ${columns.map((_, i) => `c${i}`).join(', ')})`,
      );
    }
    return ` ORDER BY ${parts.join(', ')}`;
  }

  private limit(s: SelectStatement): string {
    if (s.top !== undefined) return ` LIMIT ${this.rowCount(s.top, 'TOP')}`;
    if (s.offset !== undefined) {
      const offset = this.rowCount(s.offset, 'OFFSET');
      const fetch = s.fetch === undefined ? -1n : this.rowCount(s.fetch, 'FETCH');
      return ` LIMIT ${fetch} OFFSET ${offset}`;
    }
    return '';
  }

  /** sp_describe_first_result_set: the columns the first SELECT of @tsql would return, as rows. */
  private describe(d: NonNullable<SelectStatement['describe']>): CompiledSelect {
    const text = this.constantText(d.tsql, '@tsql');
    const declared = d.params === undefined ? '' : this.constantText(d.params, '@params');
    const params = new Map<string, BoundParam>();
    for (const p of parseParamDeclarations(declared ?? '')) {
      params.set(p.name.toLowerCase(), {
        name: p.name,
        type: parseSqlType(p.type, { lenient: true }),
        value: null,
      });
    }
    const first = parseBatch(text ?? '').find((st) => st.k === 'select');
    const described =
      first === undefined || first.k !== 'select'
        ? []
        : new Binder({ ...this.ctx, params, missingParams: new Set() }, new BindState()).select(first)
            .columns;
    const { columns, rows } = describeRows(described);
    const values = rows.map(
      (row) => `(${row.map((v, i) => this.bindOrNull(v, (columns[i] as OutputColumn).type)).join(', ')})`,
    );
    const select = columns.map((_, i) => `column${i + 1} AS c${i}`).join(', ');
    const sql =
      values.length === 0
        ? `SELECT ${columns.map((_, i) => `NULL AS c${i}`).join(', ')} WHERE 0`
        : `SELECT ${select} FROM (VALUES ${values.join(', ')})`;
    return { sql, binds: this.binds, columns, safeIntegers: false };
  }

  private bindOrNull(value: SqlValue, type: SqlType): string {
    return value === null ? 'NULL' : this.bind(value, type);
  }

  private constantText(e: Expr, name: string): string | null {
    const typed = this.expr(e);
    if (typed.constant === undefined || (typed.type !== null && typed.type.kind !== 'nvarchar')) {
      throw new SqlServerError(214, `Procedure expects parameter '${name}' of type 'nvarchar(max)'.`, {
        state: 1,
      });
    }
    const value = typed.constant.value;
    return value === null ? null : String(value);
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

  /** Adds a table, view or derived table to FROM; returns its SQL. */
  private addSource(ref: TableRef): Source {
    const sqlAlias = `t${this.sources.length}`;
    const exposed = (ref.alias ?? ref.parts[ref.parts.length - 1] ?? '').toLowerCase();
    const clash = this.sources.find(
      (x) => (x.alias ?? x.parts[x.parts.length - 1] ?? '').toLowerCase() === exposed,
    );
    if (clash !== undefined) {
      throw new SqlServerError(
        1013,
        `The objects "${ref.alias ?? ref.text}" and "${clash.alias ?? clash.parts.join('.')}" in the FROM clause have the same exposed names. Use correlation names to distinguish them.`,
      );
    }
    if (ref.subquery !== undefined) {
      const inner = new Binder(this.ctx, this.state).select(ref.subquery);
      const alias = ref.alias ?? '';
      const seen = new Set<string>();
      const columns = inner.columns.map((c, i) => {
        if (c.name === '') {
          throw new SqlServerError(8155, `No column name was specified for column ${i + 1} of '${alias}'.`);
        }
        if (seen.has(c.name.toLowerCase())) {
          throw new SqlServerError(
            8156,
            `The column '${c.name}' was specified multiple times for '${alias}'.`,
          );
        }
        seen.add(c.name.toLowerCase());
        return {
          name: c.name,
          type: c.type,
          nullable: c.nullable,
          sql: `${sqlAlias}.c${i}`,
          inner: `c${i}`,
          collation: c.collation ?? this.defaultCollation,
        };
      });
      this.sources.push({ parts: [], alias, sqlAlias, columns, body: `(${inner.sql})`, keys: new Map() });
      return this.sources[this.sources.length - 1] as Source;
    }
    const object = this.lookupObject(ref.parts, ref.text);
    const columns = object.columns.map((c) => ({
      name: c.name,
      sql: `${sqlAlias}.${quoteIdent(c.name)}`,
      inner: quoteIdent(c.name),
      type: c.type,
      nullable: c.nullable,
      collation: parseCollation(c.collation ?? this.defaultCollation).name,
    }));
    const source: Source = {
      parts: ref.parts,
      sqlAlias,
      columns,
      body: quoteIdent(object.sqliteName),
      keys: new Map(),
    };
    if (ref.alias !== undefined) source.alias = ref.alias;
    this.sources.push(source);
    return source;
  }

  private lookupObject(parts: string[], text: string): ObjectDef {
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
    return object;
  }

  /** Whether a qualifier (alias, or [db.][schema.]name without an alias) names a source. */
  private matches(source: Source, qualifier: string[]): boolean {
    const q = qualifier.map((p) => p.toLowerCase());
    if (source.alias !== undefined) return q.length === 1 && q[0] === source.alias.toLowerCase();
    const table = source.parts.map((p) => p.toLowerCase());
    const name = table[table.length - 1];
    if (q.length === 1) return q[0] === name;
    if (q.length === 2) return q[1] === name && q[0] === 'dbo';
    if (q.length === 3) return q[2] === name && q[1] === 'dbo' && q[0] === this.ctx.database.toLowerCase();
    return false;
  }

  private columnTyped(source: Source, column: SourceColumn, written?: string): Typed {
    const typed: Typed = {
      ref: { source, column },
      sql: column.sql,
      type: column.type,
      nullable: column.nullable,
      usesColumns: true,
      columnName: written ?? column.name,
    };
    if (column.type.kind === 'nvarchar') typed.coll = { name: column.collation, explicit: false };
    if (this.grouping && this.groupSqls.has(typed.sql)) typed.usesColumns = false;
    if (this.scope.having && this.scope.aggregateDepth === 0 && typed.usesColumns === true) {
      throw new SqlServerError(
        8121,
        `Column '${typed.columnName}' is invalid in the HAVING clause because it is not contained in either an aggregate function or the GROUP BY clause.`,
      );
    }
    return typed;
  }

  private bind(value: SqlValue, type: SqlType): string {
    const name = `b${this.state.count++}`;
    this.binds[name] = storageValue(value, type);
    return `@${name}`;
  }

  private constant(value: SqlValue, type: SqlType | null): Typed {
    if (value === null || type === null)
      return { sql: 'NULL', type, nullable: true, constant: { value: null } };
    let sql: string;
    try {
      sql = this.bind(value, type);
    } catch (error) {
      // A value the storage cannot hold (a DECIMAL beyond 64 bits) fails only if it is ever read
      // from SQLite, not when an outer CAST folds it (CAST(CAST(N'...' AS DECIMAL(38,2)) AS NVARCHAR)).
      if (!(error instanceof SqlServerError)) throw error;
      sql = `tsql_raise(${error.number}, ${this.bind(error.message, { kind: 'nvarchar', length: 'max' })})`;
    }
    return { sql, type, nullable: false, constant: { value } };
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
      case 'case':
        return this.caseExpr(e);
      case 'cast':
        return this.cast(e);
      case 'collate': {
        const inner = this.expr(e.expr);
        if (inner.type !== null && inner.type.kind !== 'nvarchar') {
          throw new SqlServerError(
            447,
            `Expression type ${formatSqlType(inner.type).toLowerCase().replace(/\(.*$/, '')} is invalid for COLLATE clause.`,
          );
        }
        return { ...inner, coll: { name: parseCollation(e.collation).name, explicit: true } };
      }
    }
  }

  /** CASE WHEN ... THEN ... ELSE ... END: the result type is the THENs' and ELSE's of highest precedence. */
  private caseExpr(e: Extract<Expr, { k: 'case' }>): Typed {
    const conditions = e.whens.map((w) => this.condition(w.cond));
    const branches = e.whens.map((w) => this.expr(w.result));
    if (e.else !== undefined) branches.push(this.expr(e.else));
    const result = this.resultOf(branches);
    const sqls = branches.map((b) => this.convertSql(b, result.type));
    let sql = 'CASE';
    conditions.forEach((c, i) => {
      sql += ` WHEN ${c} THEN ${sqls[i]}`;
    });
    sql += e.else === undefined ? ' END' : ` ELSE ${sqls[sqls.length - 1]} END`;
    return { ...result, sql, nullable: e.else === undefined || branches.some((b) => b.nullable) };
  }

  /** The type of CASE / COALESCE branches: highest precedence, widest length; the collation they share. */
  private resultOf(branches: Typed[]): Typed & { type: SqlType } {
    const typed = branches.filter((b): b is Typed & { type: SqlType } => b.type !== null);
    let type: SqlType = typed[0]?.type ?? { kind: 'int' };
    for (const b of typed) {
      if (PRECEDENCE[b.type.kind] > PRECEDENCE[type.kind]) type = b.type;
    }
    if (type.kind === 'nvarchar') {
      const lengths = typed.map((b) => (b.type.kind === 'nvarchar' ? b.type.length : 30));
      type = {
        kind: 'nvarchar',
        length: lengths.includes('max') ? 'max' : Math.max(...(lengths as number[])),
      };
    } else if (type.kind === 'decimal') {
      const decimals = typed.flatMap((b) => (b.type.kind === 'decimal' ? [b.type] : []));
      const scale = Math.max(...decimals.map((d) => d.scale));
      const whole = Math.max(...decimals.map((d) => d.precision - d.scale));
      type = { kind: 'decimal', precision: Math.min(38, whole + scale), scale };
    }
    const result: Typed & { type: SqlType } = {
      sql: '',
      type,
      nullable: branches.every((b) => b.nullable),
      usesColumns: branches.some((b) => b.usesColumns === true),
      aggregate: branches.some((b) => b.aggregate === true),
    };
    if (type.kind === 'nvarchar') {
      const coll = this.resolveCollation(branches, 'CASE');
      if (coll !== undefined) result.coll = coll;
    }
    return result;
  }

  /** CAST(x AS type) / CONVERT(type, x, style): exact conversions, done by tsql_conv row by row. */
  private cast(e: Extract<Expr, { k: 'cast' }>): Typed {
    const written = /^\s*n?(var)?char\s*$/i.test(e.type) ? `${e.type}(30)` : e.type;
    const to = exactType(written);
    const inner = this.expr(e.expr);
    let style: number | undefined;
    if (e.style !== undefined) {
      const s = this.expr(e.style);
      if (s.constant === undefined || s.type?.kind !== 'int')
        throw notSupported('CONVERT with a style that is not an integer literal');
      style = s.constant.value === null ? undefined : Number(s.constant.value);
    }
    const base = {
      type: to,
      nullable: inner.nullable,
      usesColumns: inner.usesColumns === true,
      aggregate: inner.aggregate === true,
    };
    if (inner.type === null) return { ...base, sql: 'NULL' };
    if (inner.constant !== undefined) {
      const value = convertExplicit(inner.constant.value, inner.type, to, style);
      return { ...this.constant(value, to), ...base, constant: { value } };
    }
    if (sameType(inner.type, to)) return { ...inner, ...base, sql: inner.sql, columnName: undefined };
    const sql = `tsql_conv(${inner.sql}, '${formatSqlType(inner.type)}', '${formatSqlType(to)}', ${style ?? 'NULL'})`;
    return { ...base, sql };
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
    const name = (parts[parts.length - 1] ?? '').toLowerCase();
    if (parts.length > 1) {
      const source = this.sources.find((x) => this.matches(x, parts.slice(0, -1)));
      if (source === undefined) {
        throw new SqlServerError(4104, `The multi-part identifier "${text}" could not be bound.`);
      }
      const column = source.columns.find((c) => c.name.toLowerCase() === name);
      if (column === undefined) throw invalidColumn(parts[parts.length - 1] ?? '');
      return this.columnTyped(source, column, parts[parts.length - 1]);
    }
    const found = this.sources.flatMap((source) =>
      source.columns.filter((c) => c.name.toLowerCase() === name).map((column) => ({ source, column })),
    );
    if (found.length > 1) throw new SqlServerError(209, `Ambiguous column name '${parts[0]}'.`);
    const match = found[0];
    if (match === undefined) throw invalidColumn(parts[0] ?? '');
    return this.columnTyped(match.source, match.column, parts[0]);
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
      const coll = this.resolveCollation([left, right], 'add');
      return {
        sql: `(${left.sql} || ${right.sql})`,
        type: { kind: 'nvarchar', length: total },
        nullable: true,
        usesColumns,
        aggregate,
        ...(coll === undefined ? {} : { coll }),
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

  /** The instant of GETUTCDATE()/SYSUTCDATETIME(). */
  private utcNow(): Date {
    return this.ctx.utcNow ?? new Date(this.ctx.now.getTime() - (this.ctx.offsetMinutes ?? 0) * 60_000);
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
        argCount(0);
        return this.constant(dateTimeFromJsDate(this.ctx.now), { kind: 'datetime' });
      case 'GETUTCDATE':
        argCount(0);
        return this.constant(dateTimeFromJsDate(this.utcNow()), { kind: 'datetime' });
      case 'SYSDATETIME':
        argCount(0);
        return this.constant(dateTimeFromJsDate(this.ctx.now), { kind: 'datetime2', scale: 7 });
      case 'SYSUTCDATETIME':
        argCount(0);
        return this.constant(dateTimeFromJsDate(this.utcNow()), { kind: 'datetime2', scale: 7 });
      case 'SYSDATETIMEOFFSET':
        argCount(0);
        // The zone's wall-clock time with the zone's offset: the same instant as SYSUTCDATETIME().
        return this.constant(dateTimeOffsetFromJsDate(this.ctx.now, this.ctx.offsetMinutes ?? 0), {
          kind: 'datetime2',
          scale: 7,
          name: 'datetimeoffset',
        });
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
        const a = this.aggregateArgument(e.args[0] as Expr);
        const counted = e.distinct ? this.keySql(a.sql, a.type, a.coll?.name) : a.sql;
        return {
          sql: `COUNT(${e.distinct ? 'DISTINCT ' : ''}${counted})`,
          type,
          nullable: false,
          aggregate: true,
        };
      }
      case 'MIN':
      case 'MAX': {
        this.checkAggregateAllowed();
        argCount(1);
        const a = this.aggregateArgument(e.args[0] as Expr);
        if (a.type !== null && isWideDecimal(a.type)) {
          const sql = `tsql_dec${name.toLowerCase()}(${a.sql}, ${a.type.scale})`;
          return { sql, type: a.type, nullable: true, aggregate: true };
        }
        if (a.type?.kind === 'nvarchar') {
          // The smallest / largest under the collation, not by code points.
          const collation = a.coll?.name ?? this.defaultCollation;
          const sql = `tsql_${name.toLowerCase()}(${a.sql}, '${collation}')`;
          return { sql, type: a.type, nullable: true, aggregate: true, ...(a.coll ? { coll: a.coll } : {}) };
        }
        return { sql: `${name}(${a.sql})`, type: a.type, nullable: true, aggregate: true };
      }
      case 'COALESCE': {
        if (e.args.length < 2) {
          throw new SqlServerError(189, 'The coalesce function requires 2 to 254 arguments.', {
            severity: 15,
          });
        }
        const args = e.args.map((arg) => this.expr(arg));
        const result = this.resultOf(args);
        const sql = `COALESCE(${args.map((a) => this.convertSql(a, result.type)).join(', ')})`;
        return { ...result, sql, nullable: args.every((a) => a.nullable) };
      }
      case 'NULLIF': {
        argCount(2);
        const [a, b] = e.args.map((arg) => this.expr(arg)) as [Typed, Typed];
        return {
          ...a,
          sql: `CASE WHEN ${this.compare('=', a, b)} THEN NULL ELSE ${a.sql} END`,
          nullable: true,
          constant: undefined,
          columnName: undefined,
        };
      }
      case 'SUBSTRING':
      case 'LEFT':
      case 'RIGHT':
        return this.substringCall(name, e);
      case 'REPLACE': {
        argCount(3);
        const args = e.args.map((arg) => this.expr(arg));
        for (const a of args) {
          if (a.type !== null && a.type.kind !== 'nvarchar')
            throw notSupported('REPLACE on a non-character value');
        }
        const collation = this.resolveCollation(args, 'replace');
        const result: Typed = {
          sql: `tsql_replace(${args.map((a) => a.sql).join(', ')}, '${collation?.name ?? this.defaultCollation}')`,
          type: { kind: 'nvarchar', length: 'max' },
          nullable: args.some((a) => a.nullable),
          usesColumns: args.some((a) => a.usesColumns === true),
          aggregate: args.some((a) => a.aggregate === true),
        };
        if (collation !== undefined) result.coll = collation;
        return result;
      }
      default:
        if (KNOWN_BUILTINS.has(name)) throw notSupported(`${name} function`);
        throw new SqlServerError(195, `'${name}' is not a recognized built-in function name.`, {
          severity: 15,
          state: 10,
        });
    }
  }

  /** SUBSTRING(s, start, length), LEFT(s, n), RIGHT(s, n) on character values. */
  private substringCall(name: string, e: Extract<Expr, { k: 'func' }>): Typed {
    const count = name === 'SUBSTRING' ? 3 : 2;
    if (e.args.length !== count || e.star) {
      throw new SqlServerError(174, `The ${name.toLowerCase()} function requires ${count} argument(s).`, {
        severity: 15,
      });
    }
    const [text, ...numbers] = e.args.map((arg) => this.expr(arg)) as [Typed, ...Typed[]];
    if (text.type !== null && text.type.kind !== 'nvarchar')
      throw notSupported(`${name} on a non-character value`);
    const ints = numbers.map((n) => this.convertSql(n, { kind: 'bigint' }));
    return {
      ...text,
      sql: `tsql_${name.toLowerCase()}(${text.sql}, ${ints.join(', ')})`,
      type: text.type ?? { kind: 'nvarchar', length: 1 },
      nullable: true,
      constant: undefined,
      columnName: undefined,
      usesColumns: [text, ...numbers].some((a) => a.usesColumns === true),
    };
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

  /** The argument of an aggregate: any column may appear in it, even in HAVING. */
  private aggregateArgument(e: Expr): Typed {
    this.scope.aggregateDepth++;
    try {
      const a = this.expr(e);
      this.checkNotNestedAggregate(a);
      return a;
    } finally {
      this.scope.aggregateDepth--;
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
        const collation = this.resolveCollation([e, p], 'like')?.name ?? this.defaultCollation;
        return `(${c.not ? 'NOT ' : ''}tsql_like(${e.sql}, ${p.sql}, ${escapeSql}, '${collation}'))`;
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
    if (
      (left.type !== null && isWideDecimal(left.type)) ||
      (right.type !== null && isWideDecimal(right.type))
    ) {
      return this.compareWide(op, left, right);
    }
    const [l, r] = this.unify(left, right);
    if (left.type?.kind === 'nvarchar' && right.type?.kind === 'nvarchar') {
      const collation = this.resolveCollation([left, right], OPERATION_NAMES[op] ?? op)?.name;
      return `(${this.sideKey(left, l, collation)} ${op} ${this.sideKey(right, r, collation)})`;
    }
    // DATETIMEOFFSET compares instants: 08:00 -05:00 = 13:00 +00:00.
    if ((left.type !== null && isOffset(left.type)) || (right.type !== null && isOffset(right.type)))
      return `(tsql_dtokey(${l}) ${op} tsql_dtokey(${r}))`;
    return `(${l} ${op} ${r})`;
  }

  /**
   * A comparison with a DECIMAL wider than an int64 (stored as the text of its scaled integer):
   * both sides as sortable keys at the larger scale, exact.
   */
  private compareWide(op: CompareOp, left: Typed, right: Typed): string {
    const scaleOf = (t: Typed): number => (t.type?.kind === 'decimal' ? t.type.scale : 0);
    const scale = Math.max(scaleOf(left), scaleOf(right));
    const side = (t: Typed): string => {
      if (t.type === null) return 'NULL';
      if (
        t.type.kind === 'decimal' ||
        t.type.kind === 'int' ||
        t.type.kind === 'bigint' ||
        t.type.kind === 'bit'
      ) {
        return `tsql_deckey(${t.sql}, ${scaleOf(t)}, ${scale})`;
      }
      if (t.constant === undefined) throw clash(t.type, { kind: 'decimal', precision: 38, scale });
      const type: SqlType = { kind: 'decimal', precision: 38, scale };
      return `tsql_deckey(${this.bind(convertValue(t.constant.value, t.type, type), type)}, ${scale}, ${scale})`;
    };
    return `(${side(left)} ${op} ${side(right)})`;
  }

  /**
   * SQL Server's collation precedence: an explicit COLLATE wins, then a column's collation, then the
   * database default; two different explicit, or two different column collations, are Msg 468.
   */
  private resolveCollation(
    operands: Typed[],
    operation: string,
  ): { name: string; explicit: boolean } | undefined {
    const labels = operands.flatMap((o) =>
      o.type?.kind === 'nvarchar' && o.coll !== undefined ? [o.coll] : [],
    );
    const explicit = labels.filter((l) => l.explicit);
    const pool = explicit.length > 0 ? explicit : labels;
    const first = pool[0];
    const other = pool.find((l) => l.name !== first?.name);
    if (first !== undefined && other !== undefined) {
      if (explicit.length > 0) {
        throw new SqlServerError(
          451,
          `Cannot resolve collation conflict between "${first.name}" and "${other.name}" in ${operation} operator for ${operation} operation.`,
        );
      }
      throw new SqlServerError(
        468,
        `Cannot resolve the collation conflict between "${first.name}" and "${other.name}" in the ${operation} operation.`,
      );
    }
    return first;
  }
}

/** DATETIMEOFFSET, stored as its local time and offset: compared and ordered by its UTC instant. */
function isOffset(type: SqlType): boolean {
  return type.kind === 'datetime2' && type.name === 'datetimeoffset';
}

/** A DECIMAL/NUMERIC too wide for an int64 (p > 18): stored as the text of its scaled integer. */
function isWideDecimal(type: SqlType): type is Extract<SqlType, { kind: 'decimal' }> {
  return (
    type.kind === 'decimal' && type.precision > 18 && type.name !== 'money' && type.name !== 'smallmoney'
  );
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

const DESCRIBE_PROCEDURE =
  /^(?:(?:\[?master\]?\.)?\[?sys\]?\.|\[?dbo\]?\.)?\[?sp_describe_first_result_set\]?$/i;
const DESCRIBE_ARGUMENTS = ['@tsql', '@params', '@browse_information_mode'];

/**
 * An RPC call of sp_describe_first_result_set by name (mssql's `request.execute(...)`), as the
 * statement and parameters the connection runs; undefined for any other procedure.
 * Arguments are named (@tsql, @params, @browse_information_mode) or positional.
 */
export function describeProcedureCall(
  procedure: string,
  args: { name: string; value: SqlValue }[],
): { statement: SelectStatement; params: Map<string, BoundParam> } | undefined {
  if (!DESCRIBE_PROCEDURE.test(procedure.trim())) return undefined;
  const params = new Map<string, BoundParam>();
  args.forEach((arg, i) => {
    const name = arg.name === '' ? DESCRIBE_ARGUMENTS[i] : arg.name.toLowerCase();
    if (name === undefined || !DESCRIBE_ARGUMENTS.includes(name)) {
      throw new SqlServerError(
        8145,
        `${arg.name || `Parameter ${i + 1}`} is not a parameter for procedure sp_describe_first_result_set.`,
      );
    }
    const type: SqlType =
      name === '@browse_information_mode' ? { kind: 'int' } : { kind: 'nvarchar', length: 'max' };
    params.set(name, { name, type, value: arg.value === null ? null : convertValue(arg.value, null, type) });
  });
  if (!params.has('@tsql')) {
    throw new SqlServerError(
      201,
      "Procedure or function 'sp_describe_first_result_set' expects parameter '@tsql', which was not supplied.",
      { state: 4 },
    );
  }
  const describe: NonNullable<SelectStatement['describe']> = { tsql: { k: 'param', name: '@tsql' } };
  if (params.has('@params')) describe.params = { k: 'param', name: '@params' };
  return { statement: { k: 'select', distinct: false, items: [], describe }, params };
}
