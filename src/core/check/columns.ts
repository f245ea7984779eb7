/**
 * A view's columns as the check sees them, whichever way they were read: `SELECT TOP 0` through
 * mssql (`recordset.columns`) or `sp_describe_first_result_set` (which also gives the collation).
 */

export interface SourceColumn {
  name: string;
  /** SQL Server type name, lower case: `nvarchar`, `decimal`, `datetime2`... */
  type: string;
  /** Longest value in characters (UTF-16 units); null for MAX types; undefined when not text. */
  maxChars?: number | null;
  precision?: number;
  scale?: number;
  nullable: boolean;
  collation?: string;
  caseSensitive?: boolean;
}

export type SqlFamily =
  | 'text'
  | 'guid'
  | 'integer'
  | 'decimal'
  | 'float'
  | 'bit'
  | 'date'
  | 'datetime'
  | 'datetimeoffset'
  | 'time'
  | 'binary'
  | 'other';

const FAMILIES: Record<string, SqlFamily> = {
  char: 'text',
  varchar: 'text',
  nchar: 'text',
  nvarchar: 'text',
  text: 'text',
  ntext: 'text',
  uniqueidentifier: 'guid',
  tinyint: 'integer',
  smallint: 'integer',
  int: 'integer',
  bigint: 'integer',
  decimal: 'decimal',
  numeric: 'decimal',
  money: 'decimal',
  smallmoney: 'decimal',
  float: 'float',
  real: 'float',
  bit: 'bit',
  date: 'date',
  datetime: 'datetime',
  datetime2: 'datetime',
  smalldatetime: 'datetime',
  datetimeoffset: 'datetimeoffset',
  time: 'time',
  binary: 'binary',
  varbinary: 'binary',
  image: 'binary',
};

export function sqlFamily(type: string): SqlFamily {
  return FAMILIES[type.toLowerCase()] ?? 'other';
}

/** Characters a value of this column can have when written as text (integers and decimals with sign). */
const INTEGER_CHARS: Record<string, number> = { tinyint: 3, smallint: 6, int: 11, bigint: 20 };
const UNICODE = new Set(['nchar', 'nvarchar', 'ntext']);

/** Longest value in characters, from a byte length as SQL Server reports it (-1 / 65535 = MAX). */
export function charsFromBytes(type: string, bytes: number | undefined): number | null | undefined {
  const t = type.toLowerCase();
  if (sqlFamily(t) !== 'text' || bytes === undefined) return undefined;
  if (bytes < 0 || bytes === 0xffff || t === 'text' || t === 'ntext') return null;
  return UNICODE.has(t) ? Math.floor(bytes / 2) : bytes;
}

/** Longest text this column becomes when sent as a string; null = unbounded. */
export function textLength(column: SourceColumn): number | null | undefined {
  const family = sqlFamily(column.type);
  if (family === 'text') return column.maxChars;
  if (family === 'guid') return 36;
  if (family === 'integer') return INTEGER_CHARS[column.type.toLowerCase()];
  if (family === 'decimal' && column.precision !== undefined) return column.precision + 2;
  return undefined;
}

/** How the view describes itself: `NVARCHAR(20)`, `DECIMAL(18,2)`, `NVARCHAR(MAX)`. */
export function formatColumnType(column: SourceColumn): string {
  const t = column.type.toUpperCase();
  const family = sqlFamily(column.type);
  if (family === 'text' && column.maxChars !== undefined && !/TEXT$/.test(t)) {
    return `${t}(${column.maxChars === null ? 'MAX' : column.maxChars})`;
  }
  if (family === 'decimal' && /^(DECIMAL|NUMERIC)$/.test(t))
    return `${t}(${column.precision},${column.scale})`;
  return t;
}

/** Whether keys in this column that differ only in case are different keys to SQL Server. */
export function columnCaseSensitive(column: SourceColumn): boolean {
  if (column.collation) return /_CS_|_BIN2?$/i.test(column.collation);
  return column.caseSensitive === true;
}

interface MssqlColumn {
  name: string;
  length?: number;
  precision?: number;
  scale?: number;
  nullable: boolean;
  caseSensitive?: boolean;
  type: unknown;
}

/** From mssql's `recordset.columns` (lengths in bytes, as TDS carries them). */
export function fromMssqlColumns(columns: Record<string, MssqlColumn>): SourceColumn[] {
  return Object.values(columns).map((c) => {
    const declaration = (c.type as { declaration?: string } | undefined)?.declaration ?? 'unknown';
    const type = declaration.toLowerCase();
    const decimal = sqlFamily(type) === 'decimal' && c.precision !== undefined;
    return {
      name: c.name,
      type,
      ...(sqlFamily(type) === 'text' ? { maxChars: charsFromBytes(type, c.length) } : {}),
      ...(decimal ? { precision: c.precision, scale: c.scale ?? 0 } : {}),
      nullable: c.nullable,
      caseSensitive: c.caseSensitive === true,
    };
  });
}

export interface DescribeFirstResultRow {
  name: string | null;
  is_hidden?: boolean | null;
  is_nullable: boolean | null;
  system_type_name: string | null;
  max_length: number | null;
  precision: number | null;
  scale: number | null;
  collation_name: string | null;
}

/** From `sp_describe_first_result_set` rows (max_length in bytes, -1 for MAX). */
export function fromDescribeFirstResultSet(rows: DescribeFirstResultRow[]): SourceColumn[] {
  return rows
    .filter((r) => r.is_hidden !== true && r.name)
    .map((r) => {
      const type = (r.system_type_name ?? 'unknown').replace(/\(.*$/, '').trim().toLowerCase();
      const decimal = sqlFamily(type) === 'decimal' && /^(decimal|numeric)$/.test(type);
      return {
        name: r.name as string,
        type,
        ...(sqlFamily(type) === 'text' ? { maxChars: charsFromBytes(type, r.max_length ?? undefined) } : {}),
        ...(decimal ? { precision: r.precision ?? 18, scale: r.scale ?? 0 } : {}),
        nullable: r.is_nullable !== false,
        ...(r.collation_name ? { collation: r.collation_name } : {}),
      };
    });
}
