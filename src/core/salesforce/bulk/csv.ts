/**
 * CSV for Bulk API 2.0 ingest jobs: records (the same payloads sObject Collections take) to CSV
 * text split into uploads under a byte limit, and an incremental parser for the result files.
 *
 * Salesforce's rules (Bulk API 2.0 guide, "Prepare CSV Files", "Relationship Fields in a Header
 * Row", "Valid Date Format in Records"): UTF-8, RFC 4180 quoting, the first row names the fields;
 * an empty cell leaves a field as it is, `#N/A` sets it to null; a parent by external ID is a
 * column `Relationship.ExternalIdField` (`Account.ti_external_id__c`, `ti_cuenta__r.Ext__c`);
 * dateTimes as `yyyy-MM-ddTHH:mm:ss.SSSZ`, dates as `yyyy-MM-dd`; numbers plain (no exponent).
 */
import { SalesforceRequestError } from '../../errors.js';
import { decimalOfNumber, decimalText } from '../../values/decimal.js';

export type LineEnding = 'LF' | 'CRLF';

/** Bulk 2.0's column delimiters by the name a job is created with. */
export const COLUMN_DELIMITERS = {
  BACKQUOTE: '`',
  CARET: '^',
  COMMA: ',',
  PIPE: '|',
  SEMICOLON: ';',
  TAB: '\t',
} as const;
export type ColumnDelimiter = keyof typeof COLUMN_DELIMITERS;

export interface CsvFormat {
  lineEnding?: LineEnding;
  columnDelimiter?: ColumnDelimiter;
}

/**
 * Salesforce takes at most 150 MB of base64 per upload and advises at most 100 MB of CSV (base64
 * adds about a third); we stay under 100 MB of UTF-8 by default.
 */
export const DEFAULT_MAX_PART_BYTES = 100 * 1024 * 1024;

/** The text Bulk 2.0 reads as null. */
export const CSV_NULL = '#N/A';

type Cell = unknown;

function eolOf(format: CsvFormat): string {
  return format.lineEnding === 'CRLF' ? '\r\n' : '\n';
}

function delimiterOf(format: CsvFormat): string {
  return COLUMN_DELIMITERS[format.columnDelimiter ?? 'COMMA'];
}

/** A record flattened to CSV columns: one level of nested object is a parent reference. */
export function flattenRecord(record: Record<string, unknown>): Map<string, Cell> {
  const out = new Map<string, Cell>();
  for (const [key, value] of Object.entries(record)) {
    if (key === 'attributes') continue;
    if (value !== null && typeof value === 'object' && !(value instanceof Date) && !Array.isArray(value)) {
      const nested = Object.entries(value as Record<string, unknown>).filter(([k]) => k !== 'attributes');
      if (nested.length !== 1) {
        throw new SalesforceRequestError(
          `Bulk CSV: ${key} must name its parent by exactly one external ID field, e.g. {"${key}": {"Ext__c": "X"}}; got ${nested.length} fields`,
        );
      }
      const [field, parentValue] = nested[0] as [string, unknown];
      out.set(`${key}.${field}`, parentValue);
      continue;
    }
    out.set(key, value);
  }
  return out;
}

/**
 * One value as Salesforce reads it in a CSV cell (before quoting); undefined leaves the field
 * unset. A string that is literally "#N/A" cannot be sent through Bulk (Salesforce reads it as null).
 */
export function cellText(value: Cell, column: string): string {
  if (value === undefined) return '';
  // An empty cell leaves the field as it is in Bulk, while "" in a Collections request clears it:
  // the same payload must mean the same thing on both paths, so "" is sent as #N/A too.
  if (value === null || value === '') return CSV_NULL;
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    const decimal = decimalOfNumber(value);
    if (!decimal) throw new SalesforceRequestError(`Bulk CSV: ${column} is not a finite number: ${value}`);
    return decimalText(decimal);
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime()))
      throw new SalesforceRequestError(`Bulk CSV: ${column} is an invalid date`);
    return value.toISOString();
  }
  throw new SalesforceRequestError(
    `Bulk CSV: ${column} holds ${Array.isArray(value) ? 'an array' : typeof value}; accepted: string, number, boolean, Date, null, or a parent reference {"Field": value}`,
  );
}

/** RFC 4180: a cell is quoted when it holds the delimiter, a quote, CR or LF (or spaces at its ends, which Salesforce would otherwise trim). */
export function quoteCell(text: string, delimiter = ','): string {
  const needs =
    text.includes(delimiter) ||
    text.includes('"') ||
    text.includes('\n') ||
    text.includes('\r') ||
    text !== text.trim();
  return needs ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The columns of a set of records: every flattened key, in first-seen order. */
export function columnsOf(records: Iterable<Record<string, unknown>>): string[] {
  const seen = new Set<string>();
  for (const r of records) for (const key of flattenRecord(r).keys()) seen.add(key);
  return [...seen];
}

/** One record as a CSV line (no line break) under the job's columns; a key outside them is refused. */
export function lineOf(record: Record<string, unknown>, columns: string[], delimiter = ','): string {
  const flat = flattenRecord(record);
  for (const key of flat.keys()) {
    if (!columns.includes(key)) {
      throw new SalesforceRequestError(
        `Bulk CSV: the record has a column ${key} that is not among the job's columns (${columns.join(', ')})`,
      );
    }
  }
  return columns.map((c) => quoteCell(cellText(flat.get(c), c), delimiter)).join(delimiter);
}

/** Records as one CSV text with a header row (columns default to every key seen). */
export function toCsv(
  records: Array<Record<string, unknown>>,
  columns: string[] = columnsOf(records),
  format: CsvFormat = {},
): string {
  const delimiter = delimiterOf(format);
  const eol = eolOf(format);
  const header = columns.map((c) => quoteCell(c, delimiter)).join(delimiter);
  return [header, ...records.map((r) => lineOf(r, columns, delimiter))].join(eol) + eol;
}

/** One upload: CSV text under the byte limit and the keys of its records, in file order. */
export interface CsvPart {
  csv: string;
  keys: string[];
  bytes: number;
}

export interface SplitOptions extends CsvFormat {
  columns: string[];
  keyOf: (record: Record<string, unknown>) => string;
  /** Largest part in UTF-8 bytes (default 100 MB). */
  maxBytes?: number;
}

/**
 * Records as CSV parts, each with the header and under `maxBytes`, lazily (one part in memory
 * at a time). A single record larger than the limit is refused.
 */
export function* csvParts(
  records: Iterable<Record<string, unknown>>,
  options: SplitOptions,
): Generator<CsvPart> {
  const delimiter = delimiterOf(options);
  const eol = eolOf(options);
  const max = options.maxBytes ?? DEFAULT_MAX_PART_BYTES;
  const header = options.columns.map((c) => quoteCell(c, delimiter)).join(delimiter) + eol;
  const headerBytes = Buffer.byteLength(header);
  let part = new PartBuilder(header, headerBytes);
  for (const record of records) {
    const line = lineOf(record, options.columns, delimiter) + eol;
    const size = Buffer.byteLength(line);
    if (headerBytes + size > max) {
      throw new SalesforceRequestError(
        `Bulk CSV: record ${options.keyOf(record)} takes ${headerBytes + size} bytes with the header, more than one upload's ${max}`,
      );
    }
    if (part.bytes + size > max) {
      yield part.done();
      part = new PartBuilder(header, headerBytes);
    }
    part.add(line, size, options.keyOf(record));
  }
  if (part.keys.length > 0) yield part.done();
}

/**
 * One part's text as it grows: lines are joined a thousand at a time, so a part of a million
 * short lines holds a few hundred strings rather than a million until it is done.
 */
class PartBuilder {
  readonly keys: string[] = [];
  private readonly blocks: string[];
  private lines: string[] = [];

  constructor(
    header: string,
    public bytes: number,
  ) {
    this.blocks = [header];
  }

  add(line: string, size: number, key: string): void {
    this.lines.push(line);
    this.keys.push(key);
    this.bytes += size;
    if (this.lines.length === 1000) {
      this.blocks.push(this.lines.join(''));
      this.lines = [];
    }
  }

  done(): CsvPart {
    this.blocks.push(this.lines.join(''));
    return { csv: this.blocks.join(''), keys: this.keys, bytes: this.bytes };
  }
}

/**
 * An incremental RFC 4180 parser: feed text as it arrives, take the complete rows. Handles
 * quoted cells with delimiters, quotes and line breaks, LF and CRLF, chunks split anywhere.
 */
export class CsvRowParser {
  private row: string[] = [];
  private cell = '';
  private quoted = false;
  /** Inside quotes, the last character was a quote (an escaped quote or the closing one). */
  private quoteSeen = false;
  private cellStarted = false;
  private pendingCr = false;
  /** A run of plain characters outside quotes. */
  private readonly plain: RegExp;

  constructor(private readonly delimiter = ',') {
    const escaped = delimiter.replace(/[\\^$.*+?()[\]{}|-]/g, '\\$&');
    this.plain = new RegExp(`[^"\r\n${escaped}]+`, 'y');
  }

  /** Adds text; answers the rows it completed. */
  push(text: string): string[][] {
    const rows: string[][] = [];
    let i = 0;
    while (i < text.length) i = this.step(text, i, rows);
    return rows;
  }

  /** Ends the input; answers the last row if the text did not end with a line break. */
  end(): string[][] {
    if (this.quoted && !this.quoteSeen) {
      throw new SalesforceRequestError('Bulk results CSV: unterminated quoted cell');
    }
    const rows: string[][] = [];
    if (this.cellStarted || this.row.length > 0) this.endRow(rows);
    return rows;
  }

  /** Reads from `i`: a run of characters or one special character; answers where it stopped. */
  private step(text: string, i: number, rows: string[][]): number {
    if (this.quoted && !this.quoteSeen) {
      const close = text.indexOf('"', i);
      if (close < 0) {
        this.cell += text.slice(i);
        return text.length;
      }
      this.cell += text.slice(i, close);
      this.quoteSeen = true;
      return close + 1;
    }
    const c = text.charAt(i);
    if (this.quoted) {
      this.quoteSeen = false;
      if (c === '"') {
        this.cell += '"';
        return i + 1;
      }
      this.quoted = false; // the quote closed the cell; c is read below
    }
    if (this.pendingCr) {
      this.pendingCr = false;
      if (c === '\n') return i + 1;
    }
    if (c === '"' && !this.cellStarted) {
      this.quoted = true;
      this.cellStarted = true;
    } else if (c === this.delimiter) {
      this.row.push(this.cell);
      this.cell = '';
      this.cellStarted = false;
    } else if (c === '\n' || c === '\r') {
      this.pendingCr = c === '\r';
      this.endRow(rows);
    } else {
      this.plain.lastIndex = i;
      const run = this.plain.exec(text)?.[0] ?? c;
      this.cell += run;
      this.cellStarted = true;
      return i + run.length;
    }
    return i + 1;
  }

  private endRow(rows: string[][]): void {
    const blank = this.row.length === 0 && !this.cellStarted;
    this.row.push(this.cell);
    if (!blank) rows.push(this.row);
    this.row = [];
    this.cell = '';
    this.cellStarted = false;
    this.quoted = false;
    this.quoteSeen = false;
  }
}
