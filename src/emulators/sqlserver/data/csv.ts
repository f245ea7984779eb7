/**
 * Loading a company's views from CSV files, so a user can try the sync on an export of their own views.
 *
 * Layout: one folder per company inside the CSV folder, one file per view:
 *
 *     <csvDir>/ITALCOL/terceros_view.csv
 *     <csvDir>/ITALCOL/sucursales_view.csv
 *     <csvDir>/MI_EMPRESA/clientes_view.csv
 *
 * The header row names the columns. A column's SQL type is taken, in this order, from the header cell
 * written `name:TYPE` or `name:TYPE NOT NULL` (e.g. `nit:NVARCHAR(20) NOT NULL`), from a sidecar
 * `<view>.types.json` beside the file (`{"nit": "NVARCHAR(20) NOT NULL", ...}`), from the contract's
 * type when the view and column are one of terceros_view / sucursales_view / acuerdos_view, and
 * otherwise NVARCHAR(4000) NULL. Files are UTF-8 (a BOM is fine), fields separated by ',' or ';'
 * (found from the header), quoted with '"' when they hold a separator, a quote or a line break.
 * An empty unquoted field is NULL; "" is an empty string. Values: numbers with '.' (or ',' when it is
 * the only separator) for decimals and no thousands separator, BIT as 1/0/true/false/sí/no, DATE
 * as YYYY-MM-DD, DATETIME2/DATETIME/SMALLDATETIME as YYYY-MM-DD HH:MM[:SS[.fffffff]] (a 'T' and a
 * trailing 'Z' are accepted; rounded as the type stores them), TIME as HH:MM[:SS[.fffffff]],
 * DATETIMEOFFSET as YYYY-MM-DD HH:MM[:SS[.fffffff]] +hh:mm, UNIQUEIDENTIFIER as a GUID, VARBINARY as
 * 0x and hex. Every type of sql-type.ts can be declared (VARCHAR/CHAR hold code page 1252: other
 * characters become '?', as SQL Server stores them; CHAR/NCHAR are padded with spaces).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { SqlServerError } from '../sql/errors.js';
import type { ColumnDef } from '../sql/translate.js';
import {
  ACCEPTED_TYPES,
  exactTypeName,
  formatSqlType,
  parseSqlType,
  type SqlType,
  type SqlValue,
} from '../sql-type.js';
import { typedValue } from './storage.js';
import { isView, VIEW_COLUMNS } from './views.js';

export class CsvError extends Error {
  override readonly name = 'CsvError';
}

export interface CsvView {
  view: string;
  file: string;
  columns: ColumnDef[];
  rows(): Iterable<SqlValue[]>;
}

export interface CsvCompany {
  company: string;
  folder: string;
  views: CsvView[];
}

const VIEW_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** The companies (sub-folders holding at least one .csv file) of a CSV folder. */
export function listCsvCompanies(csvDir: string): CsvCompany[] {
  let entries: string[];
  try {
    entries = readdirSync(csvDir);
  } catch (error) {
    throw new CsvError(`cannot read the CSV folder ${csvDir}: ${(error as Error).message}`);
  }
  const companies: CsvCompany[] = [];
  for (const entry of entries.sort()) {
    const folder = path.join(csvDir, entry);
    if (!statSync(folder).isDirectory()) continue;
    if (!VIEW_NAME.test(entry)) {
      throw new CsvError(
        `company folder name '${entry}' in ${csvDir} must be letters, digits and '_' (e.g. ITALCOL)`,
      );
    }
    const files = readdirSync(folder)
      .filter((f) => f.toLowerCase().endsWith('.csv'))
      .sort();
    if (files.length === 0) continue;
    companies.push({ company: entry, folder, views: files.map((f) => csvView(path.join(folder, f))) });
  }
  if (companies.length === 0) {
    throw new CsvError(
      `no company found in the CSV folder ${csvDir}: expected <csvDir>/<COMPANY>/<view>.csv, e.g. ${path.join(csvDir, 'ITALCOL', 'terceros_view.csv')}`,
    );
  }
  return companies;
}

/** A fingerprint of the CSV files (names, sizes, modification times): a change triggers a reload. */
export function csvFingerprint(companies: CsvCompany[]): string {
  const parts: string[] = [];
  for (const c of companies) {
    for (const v of c.views) {
      const stat = statSync(v.file);
      parts.push(`${v.file}:${stat.size}:${stat.mtimeMs}`);
      const sidecar = sidecarPath(v.file);
      try {
        const s = statSync(sidecar);
        parts.push(`${sidecar}:${s.size}:${s.mtimeMs}`);
      } catch {
        // no sidecar
      }
    }
  }
  return parts.join('|');
}

function sidecarPath(file: string): string {
  return file.replace(/\.csv$/i, '.types.json');
}

function csvView(file: string): CsvView {
  const view = path.basename(file).replace(/\.csv$/i, '');
  if (!VIEW_NAME.test(view))
    throw new CsvError(`${file}: the view name '${view}' must be letters, digits and '_'`);
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  const delimiter = firstLine.includes(';') && !firstLine.includes(',') ? ';' : ',';
  const records = parseCsv(text, delimiter, file);
  const header = records.next();
  if (header.done) throw new CsvError(`${file}: the file is empty; the first row must name the columns`);
  const sidecar = readSidecar(file);
  const known = isView(view) ? VIEW_COLUMNS[view] : [];
  const seen = new Set<string>();
  const columns: ColumnDef[] = mergeTypeCells(header.value.fields, delimiter).map((cell, i) => {
    const [rawName = '', ...typeParts] = (cell ?? '').split(':');
    const name = rawName.trim();
    if (!VIEW_NAME.test(name)) {
      throw new CsvError(
        `${file}: header column ${i + 1} '${cell}' is not a valid column name (letters, digits, '_')`,
      );
    }
    if (seen.has(name.toLowerCase()))
      throw new CsvError(`${file}: column '${name}' appears twice in the header`);
    seen.add(name.toLowerCase());
    const declared = typeParts.length > 0 ? typeParts.join(':') : sidecar[name];
    if (declared !== undefined) return columnFromDeclaration(name, declared, file);
    const contract = known.find((c) => c.name.toLowerCase() === name.toLowerCase());
    return contract ?? { name, type: { kind: 'nvarchar', length: 4000 }, nullable: true };
  });
  return {
    view,
    file,
    columns,
    *rows(): Iterable<SqlValue[]> {
      const it = parseCsv(text, delimiter, file);
      it.next();
      for (const record of it) {
        if (record.fields.length === 1 && record.fields[0] === null && columns.length > 1) continue; // blank line
        if (record.fields.length !== columns.length) {
          throw new CsvError(
            `${file}:${record.line}: ${record.fields.length} fields, the header has ${columns.length}`,
          );
        }
        yield record.fields.map((field, i) => parseField(field, columns[i] as ColumnDef, file, record.line));
      }
    },
  };
}

/** Header cells split inside a type's parentheses (`saldo:DECIMAL(10,2)` unquoted) are joined again. */
function mergeTypeCells(cells: (string | null)[], delimiter: string): (string | null)[] {
  const out: (string | null)[] = [];
  for (const cell of cells) {
    const last = out[out.length - 1];
    const open = (text: string | null | undefined): boolean =>
      text !== null &&
      text !== undefined &&
      (text.match(/\(/g) ?? []).length > (text.match(/\)/g) ?? []).length;
    if (open(last)) out[out.length - 1] = `${last}${delimiter}${cell ?? ''}`;
    else out.push(cell);
  }
  return out;
}

function readSidecar(file: string): Record<string, string> {
  const sidecar = sidecarPath(file);
  let text: string;
  try {
    text = readFileSync(sidecar, 'utf8');
  } catch {
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CsvError(`${sidecar}: not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CsvError(
      `${sidecar}: expected an object of column name to type, e.g. {"nit": "NVARCHAR(20) NOT NULL"}`,
    );
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (typeof v !== 'string')
      throw new CsvError(`${sidecar}: the type of '${k}' must be a string such as "INT NULL"`);
    out[k] = v;
  }
  return out;
}

function columnFromDeclaration(name: string, declaration: string, file: string): ColumnDef {
  const m = /^(.*?)(\s+NOT\s+NULL|\s+NULL)?\s*$/i.exec(declaration.trim());
  const typeText = m?.[1] ?? declaration;
  let type: SqlType;
  try {
    type = parseSqlType(typeText);
  } catch {
    throw new CsvError(`${file}: column '${name}' has type '${typeText}'; accepted types: ${ACCEPTED_TYPES}`);
  }
  return { name, type, nullable: !/NOT\s+NULL/i.test(m?.[2] ?? '') };
}

interface CsvRecord {
  fields: (string | null)[];
  line: number;
}

/** RFC 4180 records; an unquoted empty field is null. */
function* parseCsv(text: string, delimiter: string, file: string): Generator<CsvRecord> {
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const start = line;
    const fields: (string | null)[] = [];
    for (;;) {
      if (text.charAt(i) === '"') {
        let value = '';
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) throw new CsvError(`${file}:${start}: a quoted field is not closed`);
          value += text.slice(i, q);
          for (let k = i; k < q; k++) if (text.charCodeAt(k) === 10) line++;
          if (text.charAt(q + 1) === '"') {
            value += '"';
            i = q + 2;
            continue;
          }
          i = q + 1;
          break;
        }
        fields.push(value);
      } else {
        let j = i;
        while (j < n && text.charAt(j) !== delimiter && text.charAt(j) !== '\n' && text.charAt(j) !== '\r')
          j++;
        const raw = text.slice(i, j);
        fields.push(raw === '' ? null : raw);
        i = j;
      }
      const c = text.charAt(i);
      if (c === delimiter) {
        i++;
        continue;
      }
      if (c === '\r') i++;
      if (text.charAt(i) === '\n') {
        i++;
        line++;
      } else if (i < n) {
        throw new CsvError(`${file}:${line}: unexpected character after a quoted field`);
      }
      break;
    }
    yield { fields, line: start };
  }
}

const FORMATS: Record<SqlType['kind'], string> = {
  nvarchar: 'text',
  int: 'an integer such as 42',
  bigint: 'an integer such as 3000000001',
  float: 'a number such as 4.7110',
  bit: '1, 0, true, false, sí or no',
  decimal: 'a number such as 1500000.50 (no thousands separator)',
  date: 'YYYY-MM-DD',
  datetime2: 'YYYY-MM-DD HH:MM:SS.fffffff',
  datetime: 'YYYY-MM-DD HH:MM:SS.fff',
};

const EXACT_FORMATS: Record<string, string> = {
  uniqueidentifier: 'a GUID such as 6F9619FF-8B86-D011-B42D-00C04FC964FF',
  varbinary: 'hex bytes such as 0x0A1B',
  tinyint: 'an integer from 0 to 255',
  smallint: 'an integer from -32768 to 32767',
  money: 'a number with up to 4 decimals such as 1500000.5025',
  smallmoney: 'a number from -214748.3648 to 214748.3647',
  smalldatetime: 'YYYY-MM-DD HH:MM (1900-01-01 to 2079-06-06)',
  time: 'HH:MM:SS.fffffff',
  datetimeoffset: 'YYYY-MM-DD HH:MM:SS.fffffff +hh:mm',
};

function expectedFormat(type: SqlType): string {
  return EXACT_FORMATS[exactTypeName(type)] ?? FORMATS[type.kind];
}

function parseField(field: string | null, column: ColumnDef, file: string, line: number): SqlValue {
  const fail = (why: string): never => {
    throw new CsvError(
      `${file}:${line}: column ${column.name} (${formatSqlType(column.type)}) ${why}; expected ${expectedFormat(column.type)}`,
    );
  };
  if (field === null) {
    if (!column.nullable) fail('is empty but declared NOT NULL');
    return null;
  }
  const type = column.type;
  let text = field;
  if (type.kind !== 'nvarchar') text = text.trim();
  try {
    switch (type.kind) {
      case 'nvarchar':
        if (type.name === undefined && type.length !== 'max' && field.length > type.length)
          fail(`has ${field.length} characters, more than ${type.length}`);
        return typedValue(field, type);
      case 'bit': {
        const t = text.toLowerCase();
        if (['1', 'true', 'sí', 'si', 'yes'].includes(t)) return true;
        if (['0', 'false', 'no'].includes(t)) return false;
        return fail(`has '${field}'`);
      }
      case 'decimal':
      case 'float':
        if (/^[+-]?\d+,\d+$/.test(text)) text = text.replace(',', '.');
        if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) fail(`has '${field}'`);
        return typedValue(text, type);
      case 'int':
      case 'bigint':
        if (!/^[+-]?\d+$/.test(text)) fail(`has '${field}'`);
        return typedValue(text, type);
      default:
        return typedValue(text, type);
    }
  } catch (error) {
    if (error instanceof CsvError) throw error;
    if (error instanceof SqlServerError) return fail(`has '${field}' (${error.message})`);
    throw error;
  }
}
