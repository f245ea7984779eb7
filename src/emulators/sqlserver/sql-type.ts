/**
 * The SQL Server column and parameter types the emulator knows, how they are written in T-SQL,
 * and how a value of each is held in JavaScript.
 *
 * A value in its canonical JavaScript form ("SQL value"):
 * - NVARCHAR: string; INT and FLOAT: number; BIGINT: bigint; BIT: boolean;
 * - DECIMAL(p,s): a string with exactly s decimals ('-1234.50'), so nothing goes through a float;
 * - DATE: 'YYYY-MM-DD'; DATETIME2 and DATETIME: 'YYYY-MM-DD HH:MM:SS.fffffff' (always 7 digits).
 */
import { SqlServerError } from './sql/errors.js';

// Module-level aliases of globals used once per row or value: reading a global is costly inside a vm
// context (Jest runs the tests in one); a module binding is not.
const { floor } = Math;
const toNumber = Number;
const toText = String;
const toBigIntValue = BigInt;

export type SqlType =
  | { kind: 'nvarchar'; length: number | 'max' }
  | { kind: 'int' }
  | { kind: 'bigint' }
  | { kind: 'float' }
  | { kind: 'bit' }
  | { kind: 'decimal'; precision: number; scale: number }
  | { kind: 'date' }
  | { kind: 'datetime2'; scale: number }
  | { kind: 'datetime' };

export type SqlValue = string | number | bigint | boolean | null;

export const ACCEPTED_TYPES =
  'NVARCHAR(n) (n 1-4000), NVARCHAR(MAX), INT, BIGINT, FLOAT, BIT, DECIMAL(p,s) (p 1-18), DATE, DATETIME2[(0-7)], DATETIME';

export function formatSqlType(type: SqlType): string {
  switch (type.kind) {
    case 'nvarchar':
      return `NVARCHAR(${type.length === 'max' ? 'MAX' : type.length})`;
    case 'decimal':
      return `DECIMAL(${type.precision},${type.scale})`;
    case 'datetime2':
      return type.scale === 7 ? 'DATETIME2' : `DATETIME2(${type.scale})`;
    default:
      return type.kind.toUpperCase();
  }
}

const TYPE_PATTERN = /^\s*([a-z0-9_]+)\s*(?:\(\s*([a-z0-9]+)\s*(?:,\s*([0-9]+)\s*)?\))?\s*$/i;

/**
 * Parses a type name as T-SQL writes it ('nvarchar(20)', 'DECIMAL(18, 2)', 'datetime2').
 * `lenient` also maps the types a client may declare for a parameter onto the ones above
 * (varchar, tinyint, numeric, money, ...); column declarations are strict.
 */
export function parseSqlType(text: string, options: { lenient?: boolean } = {}): SqlType {
  const match = TYPE_PATTERN.exec(text);
  const fail = (): never => {
    throw new SqlServerError(
      2715,
      `Column, parameter, or variable: cannot find data type ${text.trim()}. Supported types: ${ACCEPTED_TYPES}.`,
      { severity: 16, state: 6 },
    );
  };
  if (!match) return fail();
  const name = (match[1] ?? '').toLowerCase();
  const arg1 = match[2]?.toLowerCase();
  const arg2 = match[3];
  const intArg = (value: string | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    if (!/^[0-9]+$/.test(value)) return fail();
    return toNumber(value);
  };
  const lenient = options.lenient === true;
  switch (name) {
    case 'nvarchar':
    case 'nchar':
    case 'varchar':
    case 'char': {
      if (!lenient && (name !== 'nvarchar' || arg2 !== undefined)) return fail();
      if (arg1 === 'max') return { kind: 'nvarchar', length: 'max' };
      const length = intArg(arg1, 1);
      const limit = name.startsWith('n') ? 4000 : 8000;
      if (length < 1 || length > limit) return fail();
      return length > 4000 ? { kind: 'nvarchar', length: 'max' } : { kind: 'nvarchar', length };
    }
    case 'ntext':
    case 'text':
    case 'xml':
      if (!lenient) return fail();
      return { kind: 'nvarchar', length: 'max' };
    case 'int':
    case 'smallint':
    case 'tinyint':
      if (arg1 !== undefined || (!lenient && name !== 'int')) return fail();
      return { kind: 'int' };
    case 'bigint':
      if (arg1 !== undefined) return fail();
      return { kind: 'bigint' };
    case 'float':
    case 'real':
      if (!lenient && (name !== 'float' || arg1 !== undefined)) return fail();
      return { kind: 'float' };
    case 'bit':
      if (arg1 !== undefined) return fail();
      return { kind: 'bit' };
    case 'decimal':
    case 'numeric': {
      if (!lenient && name !== 'decimal') return fail();
      const precision = intArg(arg1, 18);
      const scale = intArg(arg2, 0);
      if (precision < 1 || precision > (lenient ? 38 : 18) || scale > precision) return fail();
      return { kind: 'decimal', precision, scale };
    }
    case 'money':
    case 'smallmoney':
      if (!lenient || arg1 !== undefined) return fail();
      return { kind: 'decimal', precision: name === 'money' ? 19 : 10, scale: 4 };
    case 'date':
      if (arg1 !== undefined) return fail();
      return { kind: 'date' };
    case 'datetime2': {
      const scale = intArg(arg1, 7);
      if (scale > 7 || arg2 !== undefined) return fail();
      return { kind: 'datetime2', scale };
    }
    case 'datetime':
    case 'smalldatetime':
      if (arg1 !== undefined || (!lenient && name !== 'datetime')) return fail();
      return { kind: 'datetime' };
    case 'uniqueidentifier':
      if (!lenient || arg1 !== undefined) return fail();
      return { kind: 'nvarchar', length: 36 };
    default:
      return fail();
  }
}

export function sameType(a: SqlType, b: SqlType): boolean {
  return formatSqlType(a) === formatSqlType(b);
}

/* ---------------------------------------------------------------- dates ---------------------------------------------------------------- */

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = floor(y / 400);
  const yoe = y - era * 400;
  const doy = floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The inverse of daysFromCivil. */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = floor((doe - floor(doe / 1460) + floor(doe / 36524) - floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + floor(yoe / 4) - floor(yoe / 100));
  const mp = floor((5 * doy + 2) / 153);
  const day = doy - floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: era * 400 + yoe + (month <= 2 ? 1 : 0), month, day };
}

/** Days between 0001-01-01 and 1970-01-01 (the DATE and DATETIME2 wire epoch is 0001-01-01). */
export const EPOCH_0001_TO_1970 = 719162;
/** Days between 1900-01-01 (the DATETIME wire epoch) and 1970-01-01. */
export const EPOCH_1900_TO_1970 = 25567;

const pad = (value: number, width: number): string => toText(value).padStart(width, '0');

export function formatDate(days1970: number): string {
  const { year, month, day } = civilFromDays(days1970);
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

/** 'YYYY-MM-DD HH:MM:SS.fffffff' from days since 1970 and 100 ns units since midnight. */
export function formatDateTime(days1970: number, ticks100ns: number): string {
  const seconds = floor(ticks100ns / 10_000_000);
  const fraction = ticks100ns - seconds * 10_000_000;
  const hh = floor(seconds / 3600);
  const mm = floor((seconds % 3600) / 60);
  const ss = seconds % 60;
  return `${formatDate(days1970)} ${pad(hh, 2)}:${pad(mm, 2)}:${pad(ss, 2)}.${pad(fraction, 7)}`;
}

const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_TEXT = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?(Z)?$/;

function validDate(year: number, month: number, day: number): boolean {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) return false;
  const back = civilFromDays(daysFromCivil(year, month, day));
  return back.month === month && back.day === day;
}

/** Parses 'YYYY-MM-DD' into days since 1970, or undefined. */
export function parseDateText(text: string): number | undefined {
  const m = DATE_TEXT.exec(text.trim());
  if (!m) return undefined;
  const [year, month, day] = [toNumber(m[1]), toNumber(m[2]), toNumber(m[3])];
  return validDate(year, month, day) ? daysFromCivil(year, month, day) : undefined;
}

/** Parses 'YYYY-MM-DD[( |T)HH:MM[:SS[.fffffff]]][Z]' into days since 1970 and 100 ns ticks. */
export function parseDateTimeText(text: string): { days: number; ticks: number } | undefined {
  const m = DATETIME_TEXT.exec(text.trim());
  if (!m) return undefined;
  const [year, month, day] = [toNumber(m[1]), toNumber(m[2]), toNumber(m[3])];
  const [hh, mi, ss] = [toNumber(m[4] ?? 0), toNumber(m[5] ?? 0), toNumber(m[6] ?? 0)];
  if (!validDate(year, month, day) || hh > 23 || mi > 59 || ss > 59) return undefined;
  const fraction = toNumber((m[7] ?? '').padEnd(7, '0'));
  return { days: daysFromCivil(year, month, day), ticks: (hh * 3600 + mi * 60 + ss) * 10_000_000 + fraction };
}

/** The canonical DATETIME2 text of a JavaScript Date, read in UTC. */
export function dateTimeFromJsDate(date: Date): string {
  const ms = date.getTime();
  const days = floor(ms / 86_400_000);
  return formatDateTime(days, (ms - days * 86_400_000) * 10_000);
}

/* ---------------------------------------------------------------- decimals ---------------------------------------------------------------- */

const DECIMAL_TEXT = /^([+-])?(\d*)(?:\.(\d*))?$/;

/**
 * The scaled integer of a decimal text at a scale ('12.5' at scale 2 is 1250n), rounding half away
 * from zero like SQL Server when the text has more decimals. Undefined when the text is not a number.
 */
export function scaledFromDecimalText(text: string, scale: number): bigint | undefined {
  const m = DECIMAL_TEXT.exec(text.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  const negative = m[1] === '-';
  const whole = m[2] === '' ? '0' : (m[2] ?? '0');
  const fraction = m[3] ?? '';
  let scaled = toBigIntValue(whole + fraction.slice(0, scale).padEnd(scale, '0'));
  const next = fraction.charAt(scale);
  if (next !== '' && toNumber(next) >= 5) scaled += 1n;
  return negative ? -scaled : scaled;
}

/** The decimal text of a scaled integer: (1250n, 2) is '12.50'. */
export function decimalTextFromScaled(scaled: bigint, scale: number): string {
  const negative = scaled < 0n;
  const digits = (negative ? -scaled : scaled).toString().padStart(scale + 1, '0');
  const text =
    scale === 0 ? digits : `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return negative ? `-${text}` : text;
}

/** Number of digits of a scaled integer, to check it fits a precision. */
export function digitCount(scaled: bigint): number {
  return (scaled < 0n ? -scaled : scaled).toString().length;
}
