/**
 * Values of the exact SQL types (see sql-type.ts) as data enters the emulator (generator, CSV files,
 * the change command): checked and rounded as SQL Server stores them, and their SQLite representation.
 *
 * SQLite storage beyond the families' own (sql/values.ts): DECIMAL/NUMERIC with precision above 18
 * as their decimal text (an int64 cannot hold 38 digits; the text is exact), MONEY/SMALLMONEY as the
 * integer in 1/10000, CHAR/NCHAR padded, TIME/DATETIMEOFFSET/UNIQUEIDENTIFIER/VARBINARY as their
 * canonical text ('HH:MM:SS.fffffff', '... +hh:mm', upper-case GUID, '0x' hex).
 */
import { SqlServerError } from '../sql/errors.js';
import { convertValue, fromStorage, type StorageValue, toStorage } from '../sql/values.js';
import {
  collationOf,
  decimalTextFromScaled,
  formatBinary,
  formatDateTime,
  formatDateTimeOffset,
  formatTime,
  isCodePageText,
  parseBinaryText,
  parseDateTimeOffsetText,
  parseDateTimeText,
  parseGuidText,
  parseTimeText,
  roundToDateTime,
  roundToSmallDateTime,
  type SqlType,
  type SqlValue,
  scaledFromDecimalText,
  toCodePage1252,
} from '../sql-type.js';

const TEXT: SqlType = { kind: 'nvarchar', length: 'max' };
const DAY = 864_000_000_000;

function truncated(): SqlServerError {
  return new SqlServerError(8152, 'String or binary data would be truncated.');
}

function overflow(type: string, value: SqlValue): SqlServerError {
  return new SqlServerError(
    220,
    `Arithmetic overflow error for data type ${type}, value = ${String(value)}.`,
  );
}

function character(value: SqlValue, type: Extract<SqlType, { kind: 'nvarchar' }>): string {
  const text = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
  switch (type.name) {
    case 'uniqueidentifier': {
      const guid = parseGuidText(text);
      if (guid === undefined) {
        throw new SqlServerError(
          8169,
          'Conversion failed when converting from a character string to uniqueidentifier.',
        );
      }
      return guid;
    }
    case 'varbinary': {
      const bytes = parseBinaryText(text);
      if (bytes === undefined)
        throw new SqlServerError(257, `'${text}' is not a binary value such as 0x0A1B.`);
      if (type.length !== 'max' && bytes.length > type.length) throw truncated();
      return formatBinary(bytes);
    }
    default: {
      const utf8 = (collationOf(type) ?? '').toUpperCase().includes('_UTF8');
      const held = isCodePageText(type) && !utf8 ? toCodePage1252(text) : text;
      const size = isCodePageText(type) && utf8 ? Buffer.byteLength(held, 'utf8') : held.length;
      if (type.length !== 'max' && size > type.length) throw truncated();
      const fixed = type.name === 'char' || type.name === 'nchar';
      return fixed && type.length !== 'max' ? held.padEnd(type.length, ' ') : held;
    }
  }
}

const INT_RANGES = { tinyint: [0, 255], smallint: [-32768, 32767] } as const;
const MONEY_RANGES = {
  money: [-(2n ** 63n), 2n ** 63n - 1n],
  smallmoney: [-(2n ** 31n), 2n ** 31n - 1n],
} as const;

function temporal(value: SqlValue, type: Extract<SqlType, { kind: 'datetime2' | 'datetime' }>): string {
  const text = String(value);
  const fail = (): never => {
    throw new SqlServerError(
      241,
      'Conversion failed when converting date and/or time from character string.',
    );
  };
  const unit = type.kind === 'datetime2' ? 10 ** (7 - type.scale) : 1;
  if (type.name === 'time') {
    const ticks = parseTimeText(text) ?? fail();
    return formatTime((Math.round(ticks / unit) * unit) % DAY);
  }
  if (type.name === 'datetimeoffset') {
    const p = parseDateTimeOffsetText(text) ?? fail();
    const ticks = Math.round(p.ticks / unit) * unit;
    return ticks >= DAY
      ? formatDateTimeOffset(p.days + 1, ticks - DAY, p.offsetMinutes)
      : formatDateTimeOffset(p.days, ticks, p.offsetMinutes);
  }
  if (type.kind === 'datetime2') return String(convertValue(text, TEXT, type));
  const p = parseDateTimeText(text) ?? fail();
  const small = type.name === 'smalldatetime';
  const ticks = small ? roundToSmallDateTime(p.ticks) : roundToDateTime(p.ticks);
  const days = ticks >= DAY ? p.days + 1 : p.days;
  // DATETIME: 1753-01-01 to 9999-12-31; SMALLDATETIME: 1900-01-01 to 2079-06-06 (days since 1970).
  const [min, max] = small ? [-25567, 39238] : [-79623, 2932896];
  if (days < min || days > max) {
    throw new SqlServerError(
      242,
      `The conversion of a varchar data type to a ${small ? 'smalldatetime' : 'datetime'} data type resulted in an out-of-range value.`,
    );
  }
  return formatDateTime(days, ticks >= DAY ? ticks - DAY : ticks);
}

/**
 * The canonical SQL value of a value given for a column of an exact type (CSV text, a generated value),
 * with SQL Server's error when it does not fit (8152 truncation, 220/8115 overflow, 241 bad date, ...).
 */
export function typedValue(value: SqlValue, type: SqlType): SqlValue {
  if (value === null) return null;
  switch (type.kind) {
    case 'nvarchar':
      return character(value, type);
    case 'int': {
      const n = convertValue(value, typeof value === 'string' ? TEXT : null, type) as number;
      const range = type.name === undefined ? undefined : INT_RANGES[type.name];
      if (range !== undefined && (n < range[0] || n > range[1])) throw overflow(type.name ?? 'int', value);
      return n;
    }
    case 'float': {
      const n = convertValue(value, typeof value === 'string' ? TEXT : null, type) as number;
      return type.name === 'real' ? Math.fround(n) : n;
    }
    case 'decimal': {
      const text = convertValue(value, typeof value === 'string' ? TEXT : null, type) as string;
      if (type.name === 'money' || type.name === 'smallmoney') {
        const scaled = scaledFromDecimalText(text, 4) ?? 0n;
        const [min, max] = MONEY_RANGES[type.name];
        if (scaled < min || scaled > max) throw overflow(type.name, value);
        return decimalTextFromScaled(scaled, 4);
      }
      return text;
    }
    case 'datetime2':
    case 'datetime':
      return temporal(value, type);
    default:
      return convertValue(value, typeof value === 'string' ? TEXT : null, type);
  }
}

/** True for types whose SQLite value is their canonical text rather than the family's storage. */
function storedAsText(type: SqlType): boolean {
  if (type.kind === 'decimal')
    return type.precision > 18 && type.name !== 'money' && type.name !== 'smallmoney';
  if (type.kind === 'datetime2') return type.name !== undefined;
  return type.kind === 'nvarchar';
}

/** The SQLite representation of a canonical SQL value of an exact type. */
export function storageValue(value: SqlValue, type: SqlType): StorageValue {
  if (value === null) return null;
  return storedAsText(type) ? String(value) : toStorage(value, type);
}

/** The canonical SQL value of a SQLite representation of an exact type. */
export function valueFromStorage(value: unknown, type: SqlType): SqlValue {
  if (value === null || value === undefined) return null;
  return storedAsText(type) ? String(value) : fromStorage(value, type);
}

/** The SQLite column type of an exact type. */
export function sqliteColumnType(type: SqlType): string {
  if (type.kind === 'nvarchar') {
    return type.name === 'uniqueidentifier' || type.name === 'varbinary' ? 'TEXT' : 'TEXT COLLATE NOCASE';
  }
  if (storedAsText(type)) return 'TEXT';
  switch (type.kind) {
    case 'float':
      return 'REAL';
    case 'date':
    case 'datetime2':
    case 'datetime':
      return 'TEXT';
    default:
      return 'INTEGER';
  }
}
