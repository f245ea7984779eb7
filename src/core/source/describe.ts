import sql from 'mssql';
import { SourceQueryError } from '../errors.js';
import { translateSqlError } from './errors.js';

/** One column of the view or query, as SQL Server describes it. */
export interface SourceColumn {
  name: string;
  /** The base type, lower case: decimal, nvarchar, datetime2... */
  type: string;
  /** e.g. Modern_Spanish_CI_AS; undefined for non-text columns or when the server did not say. */
  collation?: string;
  caseInsensitive: boolean;
  accentInsensitive: boolean;
}

/** Types tedious would turn into lossy JS numbers (or text for BIGINT): selected as exact text instead. */
export const EXACT_AS_TEXT = new Set(['decimal', 'numeric', 'money', 'smallmoney', 'bigint']);

/** Quotes a name for T-SQL: `dbo.view` → `[dbo].[view]`. */
export function quoteName(name: string): string {
  return name
    .split('.')
    .map((part) => `[${part.replace(/]/g, ']]')}]`)
    .join('.');
}

/** Case and accent sensitivity from a collation name (Windows and SQL_ collations: _CI_/_CS_, _AI_/_AS_, _BIN/_BIN2). */
export function collationSensitivity(name: string | undefined): {
  caseInsensitive: boolean;
  accentInsensitive: boolean;
} {
  const n = (name ?? '').toUpperCase();
  if (/_BIN2?$/.test(n)) return { caseInsensitive: false, accentInsensitive: false };
  return { caseInsensitive: n === '' || n.includes('_CI'), accentInsensitive: n.includes('_AI') };
}

interface DescribedRow {
  name: string | null;
  system_type_name: string | null;
  collation_name: string | null;
  is_hidden?: boolean;
}

function fromDescribe(rows: DescribedRow[]): SourceColumn[] {
  return rows
    .filter((r) => !r.is_hidden && r.name)
    .map((r) => ({
      name: r.name ?? '',
      type: (r.system_type_name ?? '').replace(/\(.*$/, '').trim().toLowerCase(),
      ...(r.collation_name ? { collation: r.collation_name } : {}),
      ...collationSensitivity(r.collation_name ?? undefined),
    }));
}

type MssqlColumns = Record<string, { name: string; type: { declaration?: string }; caseSensitive: boolean }>;

function fromMetadata(columns: MssqlColumns): SourceColumn[] {
  return Object.values(columns).map((c) => ({
    name: c.name,
    type: (c.type.declaration ?? '').toLowerCase(),
    // TDS metadata carries a case-sensitivity flag only; accent sensitivity is SQL Server's default (AS).
    caseInsensitive: !c.caseSensitive,
    accentInsensitive: false,
  }));
}

/**
 * Describes the first result set of `statement` without running it: sp_describe_first_result_set
 * (types and collations), else `SELECT TOP 0 * FROM <from>` (types and case sensitivity).
 */
export async function describeSource(
  pool: sql.ConnectionPool,
  statement: string,
  from: string,
  where: string,
): Promise<SourceColumn[]> {
  try {
    const r = await new sql.Request(pool)
      .input('tsql', sql.NVarChar(sql.MAX), statement)
      .query<DescribedRow>('EXEC sp_describe_first_result_set @tsql = @tsql');
    const columns = fromDescribe(r.recordset ?? []);
    if (columns.length > 0) return columns;
  } catch {
    // Not every server lets the login run it (or has it); the metadata of an empty result will do.
  }
  try {
    const r = await new sql.Request(pool).query(`SELECT TOP 0 * FROM ${from}`);
    const columns = fromMetadata(r.recordset.columns as unknown as MssqlColumns);
    if (columns.length === 0) throw new SourceQueryError(`${where}: the source returns no columns`);
    return columns;
  } catch (error) {
    throw translateSqlError(error, `${where}: cannot describe the source`);
  }
}

/** Finds a column by name as SQL Server resolves names (case-insensitively). */
export function findColumn(columns: readonly SourceColumn[], name: string): SourceColumn | undefined {
  const lower = name.toLowerCase();
  return columns.find((c) => c.name === name) ?? columns.find((c) => c.name.toLowerCase() === lower);
}

/** The select list: exact-number columns as text (CONVERT keeps every digit), the rest as they are. */
export function selectList(columns: readonly SourceColumn[]): string {
  return columns
    .map((c) =>
      EXACT_AS_TEXT.has(c.type)
        ? `CONVERT(nvarchar(60), ${quoteName(c.name)}) AS ${quoteName(c.name)}`
        : quoteName(c.name),
    )
    .join(', ');
}
