import { ConfigError } from '../errors.js';
import { EXACT_AS_TEXT, findColumn, quoteName, type SourceColumn } from './describe.js';

export interface SourceSpec {
  view?: string;
  query?: string;
}

/** Where a top-level trailing ORDER BY starts in a query (outside parentheses, strings and comments). */
export function trailingOrderBy(query: string): number | undefined {
  let depth = 0;
  let found: number | undefined;
  const re =
    /'(?:[^']|'')*'|\[(?:[^\]]|\]\])*\]|"(?:[^"]|"")*"|--[^\n]*|\/\*[\s\S]*?\*\/|\(|\)|\bORDER\s+BY\b/giy;
  for (let i = 0; i < query.length; ) {
    re.lastIndex = i;
    const m = re.exec(query);
    if (!m) {
      i++;
      continue;
    }
    const t = m[0];
    if (t === '(') depth++;
    else if (t === ')') {
      depth--;
      if (depth < 0) return undefined;
    } else if (/^ORDER/i.test(t) && depth === 0) found = m.index;
    i = m.index + t.length;
  }
  return found;
}

/** The query as a derived table: its own ORDER BY goes (ours replaces it) unless TOP/OFFSET needs it. */
export function queryBody(query: string): string {
  const q = query.trim().replace(/;\s*$/, '');
  if (/^WITH\b/i.test(q) || !/^SELECT\b/i.test(q)) {
    throw new ConfigError(
      `source.query must be one SELECT statement (it is read as a derived table ordered by the key); got "${q.slice(0, 40)}..." — put a CTE or procedure logic in a view`,
    );
  }
  const at = trailingOrderBy(q);
  if (at === undefined) return q;
  const needsOrder = /^SELECT\s+(?:ALL\s+|DISTINCT\s+)?TOP\b/i.test(q) || /\bOFFSET\b/i.test(q.slice(at));
  return needsOrder ? q : q.slice(0, at).trimEnd();
}

/** What to describe: the statement, and the FROM target for `SELECT TOP 0 *`. */
export function describeTarget(spec: SourceSpec): { statement: string; from: string } {
  if (spec.query) {
    const body = queryBody(spec.query);
    return { statement: body, from: `(${body}) AS q` };
  }
  const view = quoteName(spec.view ?? '');
  return { statement: `SELECT * FROM ${view}`, from: view };
}

/** A collation under which case variants compare equal (and so sort together): the column's own when CI. */
function caseInsensitiveCollation(c: SourceColumn): string | undefined {
  if (c.caseInsensitive) return undefined;
  const name = c.collation;
  if (!name) return 'Latin1_General_CI_AS';
  if (/_BIN2?$/i.test(name)) return name.replace(/_BIN2?$/i, '_CI_AS');
  return name.replace(/_CS(?=_|$)/i, '_CI');
}

function resolve(columns: readonly SourceColumn[], name: string, what: string): SourceColumn {
  const c = findColumn(columns, name);
  if (!c) {
    throw new ConfigError(
      `${what} "${name}" is not a column of the source (columns: ${columns.map((x) => x.name).join(', ')})`,
    );
  }
  return c;
}

const TEXT_TYPES = new Set(['char', 'varchar', 'nchar', 'nvarchar', 'text', 'ntext']);

/**
 * The extract's query: every column, exact numbers as text (MONEY with all four decimals), the
 * names the config uses as aliases (SQL Server resolves names case-insensitively, JS does not),
 * ordered by the key so that rows with the same key arrive together — under a case-insensitive
 * collation, since Salesforce's external IDs are case-insensitive whatever the view's collation.
 */
export function extractQuery(
  spec: SourceSpec,
  columns: readonly SourceColumn[],
  key: readonly string[],
  names: readonly string[],
): string {
  const alias = new Map<string, string>();
  for (const n of names) {
    const c = findColumn(columns, n);
    if (c && c.name !== n) alias.set(c.name, n);
  }
  const list = columns
    .map((c) => {
      const as = quoteName(alias.get(c.name) ?? c.name);
      const col = quoteName(c.name);
      if (c.type === 'money' || c.type === 'smallmoney') return `CONVERT(nvarchar(60), ${col}, 2) AS ${as}`;
      if (EXACT_AS_TEXT.has(c.type)) return `CONVERT(nvarchar(60), ${col}) AS ${as}`;
      return alias.has(c.name) ? `${col} AS ${as}` : col;
    })
    .join(', ');
  const order = key
    .map((k) => {
      const c = resolve(columns, k, 'key column');
      const collation = TEXT_TYPES.has(c.type) ? caseInsensitiveCollation(c) : undefined;
      return collation ? `${quoteName(c.name)} COLLATE ${collation}` : quoteName(c.name);
    })
    .join(', ');
  const from = spec.query ? `(${queryBody(spec.query)}) AS q` : quoteName(spec.view ?? '');
  return `SELECT ${list} FROM ${from} ORDER BY ${order}`;
}
