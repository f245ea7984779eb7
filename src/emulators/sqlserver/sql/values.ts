/**
 * Conversions between SQL values (see sql-type.ts), with SQL Server's errors when a value does not
 * convert, and the representation each type has in the SQLite files.
 *
 * SQLite storage: NVARCHAR as TEXT, INT/BIGINT as INTEGER, FLOAT as REAL, BIT as 0/1, DECIMAL(p,s) as
 * the INTEGER value times 10^s (exact, and what the TDS wire format carries), DATE as 'YYYY-MM-DD',
 * DATETIME2/DATETIME as 'YYYY-MM-DD HH:MM:SS.fffffff' (fixed width, so text order is time order).
 */
import {
  decimalTextFromScaled,
  digitCount,
  formatDate,
  formatDateTime,
  formatDateTimeOffset,
  formatSqlType,
  formatTime,
  parseDateText,
  parseDateTimeOffsetText,
  parseDateTimeText,
  parseSqlType,
  parseTimeText,
  type SqlType,
  type SqlValue,
  scaledFromDecimalText,
} from '../sql-type.js';
import { SqlServerError } from './errors.js';

export type StorageValue = string | number | bigint | null;

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
const BIGINT_MIN = -(2n ** 63n);
const BIGINT_MAX = 2n ** 63n - 1n;

function typeName(type: SqlType | null): string {
  return type === null ? 'int' : formatSqlType(type).toLowerCase().replace(/\(.*$/, '');
}

function show(value: SqlValue): string {
  return typeof value === 'string' ? value : String(value);
}

function conversionFailed(value: SqlValue, from: SqlType | null, to: SqlType): SqlServerError {
  if (to.kind === 'date' || to.kind === 'datetime2' || to.kind === 'datetime') {
    return new SqlServerError(
      241,
      'Conversion failed when converting date and/or time from character string.',
    );
  }
  if (to.kind === 'decimal' || to.kind === 'float') {
    return new SqlServerError(8114, `Error converting data type ${typeName(from)} to ${typeName(to)}.`);
  }
  return new SqlServerError(
    245,
    `Conversion failed when converting the ${typeName(from)} value '${show(value)}' to data type ${typeName(to)}.`,
  );
}

function overflow(to: SqlType, from: SqlType | null): SqlServerError {
  return new SqlServerError(
    8115,
    `Arithmetic overflow error converting ${typeName(from)} to data type ${to.kind === 'decimal' ? 'numeric' : typeName(to)}.`,
  );
}

function numberToDecimalText(value: number): string {
  if (!Number.isFinite(value)) return 'NaN';
  const text = String(value);
  if (!/e/i.test(text)) return text;
  return value.toFixed(20).replace(/0+$/, '').replace(/\.$/, '');
}

/** Converts a SQL value of one type to another the way an implicit SQL Server conversion would. */
export function convertValue(value: SqlValue, from: SqlType | null, to: SqlType): SqlValue {
  if (value === null) return null;
  switch (to.kind) {
    case 'nvarchar': {
      if (typeof value === 'boolean') return value ? '1' : '0';
      const text = String(value);
      return to.length !== 'max' && from?.kind !== 'nvarchar' && text.length > to.length
        ? text.slice(0, to.length)
        : text;
    }
    case 'int':
    case 'bigint': {
      let n: bigint;
      if (typeof value === 'boolean') n = value ? 1n : 0n;
      else if (typeof value === 'bigint') n = value;
      else if (typeof value === 'number') {
        if (!Number.isFinite(value)) throw overflow(to, from);
        n = BigInt(Math.trunc(value));
      } else if (from?.kind === 'decimal') n = BigInt(value.split('.')[0] ?? '0');
      else {
        const text = value.trim();
        if (!/^[+-]?\d+$/.test(text)) throw conversionFailed(value, from, to);
        n = BigInt(text);
      }
      if (to.kind === 'int') {
        if (n < BigInt(INT_MIN) || n > BigInt(INT_MAX)) throw overflow(to, from);
        return Number(n);
      }
      if (n < BIGINT_MIN || n > BIGINT_MAX) throw overflow(to, from);
      return n;
    }
    case 'float': {
      if (typeof value === 'boolean') return value ? 1 : 0;
      if (typeof value === 'number') return value;
      if (typeof value === 'bigint') return Number(value);
      const n = Number(value.trim());
      if (value.trim() === '' || Number.isNaN(n)) throw conversionFailed(value, from, to);
      return n;
    }
    case 'bit': {
      if (typeof value === 'boolean') return value;
      if (typeof value === 'number') return value !== 0;
      if (typeof value === 'bigint') return value !== 0n;
      const text = value.trim().toUpperCase();
      if (text === 'TRUE') return true;
      if (text === 'FALSE') return false;
      const n = Number(text);
      if (text === '' || Number.isNaN(n)) throw conversionFailed(value, from, to);
      return n !== 0;
    }
    case 'decimal': {
      let text: string;
      if (typeof value === 'boolean') text = value ? '1' : '0';
      else if (typeof value === 'number') text = numberToDecimalText(value);
      else if (typeof value === 'bigint') text = value.toString();
      else text = value;
      const scaled = scaledFromDecimalText(text, to.scale);
      if (scaled === undefined) throw conversionFailed(value, from, to);
      if (digitCount(scaled) > to.precision) throw overflow(to, from);
      return decimalTextFromScaled(scaled, to.scale);
    }
    case 'date': {
      if (typeof value !== 'string') throw clash(from, to);
      const days = parseDateText(value) ?? parseDateTimeText(asDateTimeText(value, from))?.days;
      if (days === undefined) throw conversionFailed(value, from, to);
      return formatDate(days);
    }
    case 'datetime2':
    case 'datetime': {
      if (typeof value !== 'string') throw clash(from, to);
      if (to.kind === 'datetime2' && to.name !== undefined)
        return toTimeOrOffset(value, from, { scale: to.scale, name: to.name });
      const parsed = parseDateTimeText(asDateTimeText(value, from));
      if (parsed === undefined) throw conversionFailed(value, from, to);
      let ticks = parsed.ticks;
      if (to.kind === 'datetime2') {
        const unit = 10 ** (7 - to.scale);
        ticks = Math.round(ticks / unit) * unit;
      }
      if (ticks >= 864_000_000_000) return formatDateTime(parsed.days + 1, ticks - 864_000_000_000);
      return formatDateTime(parsed.days, ticks);
    }
  }
}

const DAY_TICKS = 864_000_000_000;

/** A TIME or DATETIMEOFFSET value as the DATETIME2 text it converts to: TIME on 1900-01-01, the local time. */
function asDateTimeText(value: string, from: SqlType | null): string {
  if (from?.kind !== 'datetime2' || from.name === undefined) return value;
  if (from.name === 'time') return `1900-01-01 ${value}`;
  const p = parseDateTimeOffsetText(value);
  return p === undefined ? value : formatDateTime(p.days, p.ticks);
}

/**
 * To TIME(n) or DATETIMEOFFSET(n), as SQL Server converts: from text (a time, a date and time, with or
 * without offset), DATETIME2/DATETIME/DATE (offset +00:00), TIME or DATETIMEOFFSET; rounded to the scale.
 */
function toTimeOrOffset(
  value: string,
  from: SqlType | null,
  to: { scale: number; name: 'time' | 'datetimeoffset' },
): string {
  const target: SqlType = { kind: 'datetime2', ...to };
  const fromName = from?.kind === 'datetime2' ? from.name : undefined;
  const p =
    (fromName === 'time' ? undefined : parseDateTimeOffsetText(value)) ??
    ((): { days: number; ticks: number; offsetMinutes: number } | undefined => {
      const time =
        from === null || from.kind === 'nvarchar' || fromName === 'time' ? parseTimeText(value) : undefined;
      if (time !== undefined)
        return { days: parseDateText('1900-01-01') ?? 0, ticks: time, offsetMinutes: 0 };
      const local = parseDateTimeText(value);
      return local === undefined ? undefined : { ...local, offsetMinutes: 0 };
    })();
  if (p === undefined) throw conversionFailed(value, from, target);
  const unit = 10 ** (7 - to.scale);
  const ticks = Math.round(p.ticks / unit) * unit;
  if (to.name === 'time') return formatTime(ticks % DAY_TICKS);
  return ticks >= DAY_TICKS
    ? formatDateTimeOffset(p.days + 1, ticks - DAY_TICKS, p.offsetMinutes)
    : formatDateTimeOffset(p.days, ticks, p.offsetMinutes);
}

export function clash(from: SqlType | null, to: SqlType): SqlServerError {
  return new SqlServerError(
    206,
    `Operand type clash: ${typeName(from)} is incompatible with ${typeName(to)}`,
  );
}

/** The SQLite representation of a SQL value of a type. */
export function toStorage(value: SqlValue, type: SqlType): StorageValue {
  if (value === null) return null;
  switch (type.kind) {
    case 'bit':
      return value === true || value === 1 || value === 1n ? 1 : 0;
    case 'decimal': {
      const scaled = scaledFromDecimalText(String(value), type.scale);
      if (scaled === undefined) throw conversionFailed(value, null, type);
      if (scaled < BIGINT_MIN || scaled > BIGINT_MAX) throw overflow(type, type);
      return scaled;
    }
    case 'bigint':
      return typeof value === 'bigint' ? value : BigInt(value as number);
    case 'int':
    case 'float':
      return typeof value === 'bigint' ? Number(value) : (value as number);
    default:
      return String(value);
  }
}

/** The SQL value of a SQLite representation. */
export function fromStorage(value: unknown, type: SqlType): SqlValue {
  if (value === null || value === undefined) return null;
  switch (type.kind) {
    case 'bit':
      return Number(value) !== 0;
    case 'decimal':
      return decimalTextFromScaled(BigInt(value as number | bigint), type.scale);
    case 'bigint':
      return BigInt(value as number | bigint);
    case 'int':
    case 'float':
      return Number(value);
    default:
      return String(value);
  }
}

/* ------------------------------------------------------- CAST and CONVERT ------------------------------------------------------- */

/** A type as CAST, CONVERT and the catalog write it, exact (VARCHAR stays VARCHAR, TIME stays TIME). */
export function exactType(text: string): SqlType {
  try {
    return parseSqlType(text);
  } catch {
    return parseSqlType(text, { lenient: true });
  }
}

const MONTHS = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');
/** CONVERT style codes accepted from a date/time type to a character string. */
export const DATE_STYLES = [0, 100, 23, 101, 103, 108, 112, 120, 121, 126, 127];

/** A float as CAST(f AS NVARCHAR) writes it: 6 significant digits, exponent with 3 digits ('1.23457e+006'). */
export function floatToText(value: number): string {
  if (value === 0) return '0';
  if (!Number.isFinite(value)) return String(value);
  const exponent = Math.floor(Math.log10(Math.abs(value)));
  if (exponent < -4 || exponent >= 6) {
    const [mantissa = '', exp = '0'] = value.toExponential(5).split('e');
    const m = mantissa.replace(/\.?0+$/, '');
    const e = Number(exp);
    return `${m}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(3, '0')}`;
  }
  const fixed = value.toPrecision(6);
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

function styleError(style: number, from: string, toText: boolean): SqlServerError {
  return new SqlServerError(
    281,
    toText
      ? `${style} is not a valid style number when converting from ${from} to a character string.`
      : `${style} is not a valid style number when converting to ${from}.`,
  );
}

/** TIME ('HH:MM:SS.fffffff') in a CONVERT style. */
function timeToText(value: string, scale: number, style: number | undefined): string {
  const hms = value.slice(0, 8);
  const fraction = value.slice(9, 9 + scale);
  const s = style ?? 121;
  if (s === 0 || s === 100) {
    const hour = Number(hms.slice(0, 2));
    return `${hour % 12 === 0 ? 12 : hour % 12}:${hms.slice(3, 5)}${hour < 12 ? 'AM' : 'PM'}`;
  }
  if (s === 108 || s === 120) return hms;
  if ([121, 126, 127].includes(s)) return scale > 0 ? `${hms}.${fraction}` : hms;
  throw styleError(s, 'time', true);
}

/** DATETIMEOFFSET ('YYYY-MM-DD HH:MM:SS.fffffff +hh:mm') in a CONVERT style; 127 is UTC with 'Z'. */
function offsetToText(value: string, scale: number, style: number | undefined): string {
  const parsed = parseDateTimeOffsetText(value);
  if (parsed === undefined) return value;
  const offset = value.slice(value.length - 6);
  const local = value.slice(0, 27);
  const type: SqlType = { kind: 'datetime2', scale };
  const s = style ?? 121;
  if (s === 127) {
    let ticks = parsed.ticks - parsed.offsetMinutes * 600_000_000;
    let days = parsed.days;
    if (ticks < 0) [days, ticks] = [days - 1, ticks + 864_000_000_000];
    if (ticks >= 864_000_000_000) [days, ticks] = [days + 1, ticks - 864_000_000_000];
    return `${temporalToText(formatDateTime(days, ticks), type, 126)}Z`;
  }
  if (s === 126) return `${temporalToText(local, type, 126)}${offset}`;
  if (s === 23 || s === 101 || s === 103 || s === 112 || s === 108) return temporalToText(local, type, s);
  return `${temporalToText(local, type, s)} ${offset}`;
}

/** A date/time value ('YYYY-MM-DD[ HH:MM:SS.fffffff]') written in a CONVERT style. */
export function temporalToText(value: string, from: SqlType, style: number | undefined): string {
  if (from.kind === 'datetime2' && from.name === 'time') return timeToText(value, from.scale, style);
  if (from.kind === 'datetime2' && from.name === 'datetimeoffset')
    return offsetToText(value, from.scale, style);
  const date = value.slice(0, 10);
  const [yyyy = '', mm = '', dd = ''] = date.split('-');
  const time = from.kind === 'date' ? '00:00:00.0000000' : value.slice(11);
  const digits = from.kind === 'datetime2' ? from.scale : from.kind === 'datetime' ? 3 : 0;
  const fraction = time.slice(9, 9 + digits);
  const hms = time.slice(0, 8);
  const withFraction = digits > 0 ? `${hms}.${fraction}` : hms;
  const s = style ?? (from.kind === 'datetime' ? 0 : 121);
  if (!DATE_STYLES.includes(s)) throw styleError(s, typeName(from), true);
  const dateOnly = from.kind === 'date';
  switch (s) {
    case 0:
    case 100: {
      const hour = Number(hms.slice(0, 2));
      const h12 = hour % 12 === 0 ? 12 : hour % 12;
      const month = MONTHS[Number(mm) - 1] ?? '';
      return `${month} ${String(Number(dd)).padStart(2, ' ')} ${yyyy} ${String(h12).padStart(2, ' ')}:${hms.slice(3, 5)}${hour < 12 ? 'AM' : 'PM'}`;
    }
    case 23:
      return date;
    case 101:
      return `${mm}/${dd}/${yyyy}`;
    case 103:
      return `${dd}/${mm}/${yyyy}`;
    case 108:
      return hms;
    case 112:
      return `${yyyy}${mm}${dd}`;
    case 120:
      return dateOnly ? date : `${date} ${hms}`;
    case 121:
      return dateOnly ? date : `${date} ${withFraction}`;
    default: {
      // 126, 127: ISO 8601 with a 'T'; no fraction when it is zero.
      if (dateOnly) return date;
      return /^0*$/.test(fraction) ? `${date}T${hms}` : `${date}T${withFraction}`;
    }
  }
}

/** Parses a character string as a date/time in a CONVERT style (ISO forms are always accepted). */
export function textToTemporal(text: string, style: number | undefined, to: SqlType): string {
  const trimmed = text.trim();
  let iso = trimmed;
  const dmy = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(.*)$/.exec(trimmed);
  if (style !== undefined && ![0, 100, 23, 101, 103, 112, 120, 121, 126, 127].includes(style)) {
    throw styleError(style, typeName(to), false);
  }
  if (dmy !== null && (style === 103 || style === 101)) {
    const [first = '', second = '', year = '', rest = ''] = dmy.slice(1);
    const [day, month] = style === 103 ? [first, second] : [second, first];
    iso = `${year}-${month.padStart(2, '0')}-${day.padStart(2, '0')}${rest}`;
  } else if (/^\d{8}$/.test(trimmed)) {
    iso = `${trimmed.slice(0, 4)}-${trimmed.slice(4, 6)}-${trimmed.slice(6, 8)}`;
  }
  return String(convertValue(iso, { kind: 'nvarchar', length: 'max' }, to));
}

function textFits(text: string, to: SqlType, from: SqlType | null): string {
  if (to.kind !== 'nvarchar' || to.length === 'max' || text.length <= to.length) return text;
  if (from === null || from.kind === 'nvarchar') return text.slice(0, to.length);
  throw new SqlServerError(
    8115,
    `Arithmetic overflow error converting expression to data type ${typeName(to)}.`,
  );
}

/** CAST(value AS to) or CONVERT(to, value, style): explicit conversion, SQL Server's rules. */
export function convertExplicit(
  value: SqlValue,
  from: SqlType | null,
  to: SqlType,
  style?: number,
): SqlValue {
  if (value === null) return null;
  if (to.kind === 'nvarchar') {
    let text: string;
    if (from !== null && (from.kind === 'date' || from.kind === 'datetime' || from.kind === 'datetime2')) {
      text = temporalToText(String(value), from, style);
    } else if (typeof value === 'number' && from?.kind === 'float') text = floatToText(value);
    else if (typeof value === 'boolean') text = value ? '1' : '0';
    else text = String(value);
    return textFits(text, to, from);
  }
  if (
    (to.kind === 'date' || to.kind === 'datetime' || to.kind === 'datetime2') &&
    typeof value === 'string'
  ) {
    if (from === null || from.kind === 'nvarchar') return textToTemporal(value, style, to);
  }
  return convertValue(value, from, to);
}
