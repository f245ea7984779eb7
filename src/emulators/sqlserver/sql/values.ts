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
  formatSqlType,
  parseDateText,
  parseDateTimeText,
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
      const days = parseDateText(value) ?? parseDateTimeText(value)?.days;
      if (days === undefined) throw conversionFailed(value, from, to);
      return formatDate(days);
    }
    case 'datetime2':
    case 'datetime': {
      if (typeof value !== 'string') throw clash(from, to);
      const parsed = parseDateTimeText(value);
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
