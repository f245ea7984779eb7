/**
 * What the check reads from each company's SQL Server: a view's (or query's) columns and the
 * distinct values of some columns, through the sync's own pool (same settings, same driver).
 */
import sql from 'mssql';
import type { SourceRow } from '../mapping.js';
import { quoteName, translateSqlError } from '../source/sqlserver.js';
import {
  type DescribeFirstResultRow,
  fromDescribeFirstResultSet,
  fromMssqlColumns,
  type SourceColumn,
} from './columns.js';

export interface SourceSpec {
  view?: string;
  query?: string;
}

/**
 * A query without its final ORDER BY, to be used as a derived table (SQL Server refuses ORDER BY
 * there, Msg 1033). Only an ORDER BY outside parentheses and string literals at the end is removed.
 */
export function withoutTrailingOrderBy(query: string): string {
  let depth = 0;
  let quoted = false;
  let last = -1;
  for (let i = 0; i < query.length; i++) {
    const ch = query[i];
    if (ch === "'") quoted = !quoted;
    else if (!quoted && ch === '(') depth++;
    else if (!quoted && ch === ')') depth--;
    else if (
      !quoted &&
      depth === 0 &&
      /^ORDER\s+BY\b/i.test(query.slice(i, i + 12)) &&
      /\s/.test(query[i - 1] ?? ' ')
    ) {
      last = i;
    }
  }
  return (last < 0 ? query : query.slice(0, last)).trimEnd().replace(/;$/, '');
}

function fromClause(source: SourceSpec): string {
  return source.view ? quoteName(source.view) : `(${withoutTrailingOrderBy(source.query as string)}) AS q`;
}

function selectAll(source: SourceSpec): string {
  return source.view ? `SELECT * FROM ${quoteName(source.view)}` : (source.query as string);
}

/**
 * The source's columns: `sp_describe_first_result_set` first (it gives collations and works for
 * queries with ORDER BY); where the server does not run it, `SELECT TOP 0 *`.
 */
export async function describeSource(
  pool: sql.ConnectionPool,
  source: SourceSpec,
  where: string,
): Promise<SourceColumn[]> {
  try {
    const result = await pool
      .request()
      .input('tsql', sql.NVarChar(sql.MAX), selectAll(source))
      .query<DescribeFirstResultRow>('EXEC sp_describe_first_result_set @tsql = @tsql');
    if (result.recordset.length > 0) return fromDescribeFirstResultSet(result.recordset);
  } catch {
    // Not available on this server (or not for this statement): read the columns another way.
  }
  try {
    const result = await pool.request().query(`SELECT TOP 0 * FROM ${fromClause(source)}`);
    return fromMssqlColumns(result.recordset.columns as unknown as Parameters<typeof fromMssqlColumns>[0]);
  } catch (error) {
    throw translateSqlError(error, where);
  }
}

/** The distinct combinations of some columns (`SELECT DISTINCT`), for restricted picklists. */
export async function distinctRows(
  pool: sql.ConnectionPool,
  source: SourceSpec,
  columns: string[],
  where: string,
): Promise<SourceRow[]> {
  try {
    const list = columns.map((c) => quoteName(c)).join(', ');
    const result = await pool.request().query(`SELECT DISTINCT ${list} FROM ${fromClause(source)}`);
    return result.recordset as SourceRow[];
  } catch (error) {
    throw translateSqlError(error, where);
  }
}
