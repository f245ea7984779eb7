/**
 * TDS data types: TYPE_INFO and values of result columns (server to client), and the decoding of
 * RPC parameter values (client to server). [MS-TDS] 2.2.5.
 */
import { notSupported } from '../sql/errors.js';
import {
  collationOf,
  DEFAULT_COLLATION,
  daysFromCivil,
  decimalTextFromScaled,
  decodeCp1252,
  EPOCH_0001_TO_1970,
  EPOCH_1900_TO_1970,
  encodeCp1252,
  formatBinary,
  formatDate,
  formatDateTime,
  formatDateTimeOffset,
  formatSqlType,
  formatTime,
  isCodePageText,
  parseBinaryText,
  parseDateTimeOffsetText,
  parseTimeText,
  type SqlType,
  type SqlValue,
  scaledFromDecimalText,
} from '../sql-type.js';
import { type BufferReader, type BufferWriter, ProtocolError } from './buffers.js';
import { collationBytes, Token } from './tokens.js';

// Module-level aliases of globals used once per row or value: reading a global is costly inside a vm
// context (Jest runs the tests in one); a module binding is not.
const { ceil, floor, max, min, round } = Math;
/** 100 ns units in a day. */
const DAY_TICKS = 864_000_000_000;
const toNumber = Number;
const toText = String;
const toBigIntValue = BigInt;

export const TypeId = {
  NULL: 0x1f,
  INT1: 0x30,
  BIT: 0x32,
  INT2: 0x34,
  INT4: 0x38,
  DATETIM4: 0x3a,
  FLT4: 0x3b,
  MONEY: 0x3c,
  DATETIME: 0x3d,
  FLT8: 0x3e,
  MONEY4: 0x7a,
  INT8: 0x7f,
  GUID: 0x24,
  INTN: 0x26,
  DECIMAL: 0x37,
  NUMERIC: 0x3f,
  BITN: 0x68,
  DECIMALN: 0x6a,
  NUMERICN: 0x6c,
  FLTN: 0x6d,
  MONEYN: 0x6e,
  DATETIMN: 0x6f,
  DATEN: 0x28,
  TIMEN: 0x29,
  DATETIME2N: 0x2a,
  DATETIMEOFFSETN: 0x2b,
  BIGVARBIN: 0xa5,
  BIGVARCHR: 0xa7,
  BIGBINARY: 0xad,
  BIGCHAR: 0xaf,
  NVARCHAR: 0xe7,
  NCHAR: 0xef,
  TEXT: 0x23,
  NTEXT: 0x63,
  IMAGE: 0x22,
} as const;

export interface ResultColumn {
  name: string;
  type: SqlType;
  nullable: boolean;
  /** A column of a table or view (updatable "unknown"), rather than a computed expression. */
  fromTable?: boolean;
  /** A character column's collation (from the SQL layer: COLLATE, the column's); else the type's or the default. */
  collation?: string;
}

export function decimalLength(precision: number): number {
  return precision <= 9 ? 5 : precision <= 19 ? 9 : precision <= 28 ? 13 : 17;
}

function datetime2Length(scale: number): number {
  return scale <= 2 ? 6 : scale <= 4 ? 7 : 8;
}

/**
 * The fixed-length TDS type SQL Server sends for a NOT NULL column of a type that has one (INT4 for
 * an INT NOT NULL, BIT, MONEY, DATETIME, ...): no length in TYPE_INFO nor before each value.
 * Types without one (DECIMAL, DATE, DATETIME2, GUID, character types) always use their "N" type.
 */
export function fixedTypeId(type: SqlType): number | undefined {
  switch (type.kind) {
    case 'int':
      return type.name === 'tinyint' ? TypeId.INT1 : type.name === 'smallint' ? TypeId.INT2 : TypeId.INT4;
    case 'bigint':
      return TypeId.INT8;
    case 'float':
      return type.name === 'real' ? TypeId.FLT4 : TypeId.FLT8;
    case 'bit':
      return TypeId.BIT;
    case 'decimal':
      return type.name === 'money' ? TypeId.MONEY : type.name === 'smallmoney' ? TypeId.MONEY4 : undefined;
    case 'datetime':
      return type.name === 'smalldatetime' ? TypeId.DATETIM4 : TypeId.DATETIME;
    default:
      return undefined;
  }
}

/**
 * The TYPE_INFO of an exact SQL type ([MS-TDS] 2.2.5.4): the fixed-length type for a NOT NULL column
 * when there is one, else the nullable ("N") type with its length, precision/scale or collation.
 */
export function writeTypeInfo(w: BufferWriter, type: SqlType, nullable = true, collation?: string): void {
  const fixed = nullable ? undefined : fixedTypeId(type);
  if (fixed !== undefined) {
    w.u8(fixed);
    return;
  }
  switch (type.kind) {
    case 'nvarchar':
      writeCharacterTypeInfo(w, type, collation);
      return;
    case 'int':
      w.u8(TypeId.INTN);
      w.u8(type.name === 'tinyint' ? 1 : type.name === 'smallint' ? 2 : 4);
      return;
    case 'bigint':
      w.u8(TypeId.INTN);
      w.u8(8);
      return;
    case 'float':
      w.u8(TypeId.FLTN);
      w.u8(type.name === 'real' ? 4 : 8);
      return;
    case 'bit':
      w.u8(TypeId.BITN);
      w.u8(1);
      return;
    case 'decimal':
      if (type.name === 'money' || type.name === 'smallmoney') {
        w.u8(TypeId.MONEYN);
        w.u8(type.name === 'money' ? 8 : 4);
        return;
      }
      w.u8(type.name === 'numeric' ? TypeId.NUMERICN : TypeId.DECIMALN);
      w.u8(decimalLength(type.precision));
      w.u8(type.precision);
      w.u8(type.scale);
      return;
    case 'date':
      w.u8(TypeId.DATEN);
      return;
    case 'datetime2':
      w.u8(
        type.name === 'time'
          ? TypeId.TIMEN
          : type.name === 'datetimeoffset'
            ? TypeId.DATETIMEOFFSETN
            : TypeId.DATETIME2N,
      );
      w.u8(type.scale);
      return;
    case 'datetime':
      w.u8(TypeId.DATETIMN);
      w.u8(type.name === 'smalldatetime' ? 4 : 8);
      return;
  }
}

type CharacterType = Extract<SqlType, { kind: 'nvarchar' }>;

function writeCharacterTypeInfo(w: BufferWriter, type: CharacterType, name?: string): void {
  const max = type.length === 'max';
  const n = max ? 0 : (type.length as number);
  const collation = collationBytes(name ?? collationOf(type) ?? DEFAULT_COLLATION);
  switch (type.name) {
    case 'uniqueidentifier':
      w.u8(TypeId.GUID);
      w.u8(16);
      return;
    case 'varbinary':
      w.u8(TypeId.BIGVARBIN);
      w.u16(max ? 0xffff : n);
      return;
    case 'text':
    case 'ntext':
      w.u8(type.name === 'text' ? TypeId.TEXT : TypeId.NTEXT);
      w.u32(type.name === 'text' ? 0x7fffffff : 0x7ffffffe);
      w.bytes(collation);
      w.u8(0); // table name parts (the emulator's views name none)
      return;
    case 'varchar':
    case 'char':
      w.u8(type.name === 'char' ? TypeId.BIGCHAR : TypeId.BIGVARCHR);
      w.u16(max ? 0xffff : n);
      w.bytes(collation);
      return;
    default:
      w.u8(type.name === 'nchar' ? TypeId.NCHAR : TypeId.NVARCHAR);
      w.u16(max ? 0xffff : n * 2);
      w.bytes(collation);
  }
}

export function writeColMetadata(w: BufferWriter, columns: ResultColumn[]): void {
  w.u8(Token.COLMETADATA);
  w.u16(columns.length);
  for (const c of columns) {
    w.u32(0); // UserType
    w.u16((c.nullable ? 0x0001 : 0) | (c.fromTable === true ? 0x0008 : 0));
    writeTypeInfo(w, c.type, c.nullable, c.collation);
    w.bVarchar(c.name.slice(0, 128));
  }
}

/* ------------------------------------------------------------ row values ------------------------------------------------------------ */

type ValueWriter = (w: BufferWriter, v: unknown) => void;

const digit = (s: string, i: number): number => s.charCodeAt(i) - 48;

/** Days since 1970 of a 'YYYY-MM-DD...' text. */
function textDays(s: string): number {
  const year = digit(s, 0) * 1000 + digit(s, 1) * 100 + digit(s, 2) * 10 + digit(s, 3);
  const month = digit(s, 5) * 10 + digit(s, 6);
  const day = digit(s, 8) * 10 + digit(s, 9);
  return daysFromCivil(year, month, day);
}

/** 100 ns units since midnight of a 'YYYY-MM-DD HH:MM:SS.fffffff' text (missing parts are zero). */
function textTicks(s: string): number {
  if (s.length < 19) return 0;
  const seconds =
    (digit(s, 11) * 10 + digit(s, 12)) * 3600 +
    (digit(s, 14) * 10 + digit(s, 15)) * 60 +
    digit(s, 17) * 10 +
    digit(s, 18);
  let fraction = 0;
  for (let i = 0; i < 7; i++) fraction = fraction * 10 + (20 + i < s.length ? digit(s, 20 + i) : 0);
  return seconds * 10_000_000 + fraction;
}

function toBigInt(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  const n = toNumber(v);
  return toBigIntValue(Number.isInteger(n) ? n : round(n));
}

/**
 * The scaled integer of a stored exact numeric: an integer (or the text of one, as DECIMAL(p > 18)
 * is stored) is scaled already; a decimal text with a point ('12.50') is scaled here.
 */
function scaledOf(v: unknown, scale: number): bigint {
  if (typeof v !== 'string') return toBigInt(v);
  if (/^-?\d+$/.test(v)) return toBigIntValue(v);
  const scaled = scaledFromDecimalText(v, scale);
  if (scaled === undefined) throw new ProtocolError(`not a decimal value: '${v}'`);
  return scaled;
}

/** Bytes of a length-prefixed (u16) value. */
function shortBytes(w: BufferWriter, b: Buffer): void {
  w.ensure(2 + b.length);
  w.buf.writeUInt16LE(b.length, w.pos);
  b.copy(w.buf, w.pos + 2);
  w.pos += 2 + b.length;
}

/** Bytes of a PLP value ([MS-TDS] 2.2.5.2.3): total length, one chunk, terminator. */
function plpBytes(w: BufferWriter, b: Buffer): void {
  w.ensure(16 + b.length);
  w.buf.writeUInt32LE(b.length >>> 0, w.pos);
  w.buf.writeUInt32LE(0, w.pos + 4);
  w.pos += 8;
  if (b.length > 0) {
    w.buf.writeUInt32LE(b.length, w.pos);
    b.copy(w.buf, w.pos + 4);
    w.pos += 4 + b.length;
  }
  w.buf.writeUInt32LE(0, w.pos);
  w.pos += 4;
}

/** A TEXT/NTEXT value: text pointer (16 bytes), timestamp (8), length (4), bytes. */
const TEXT_POINTER = Buffer.alloc(16, 0xaa);
function textBytes(w: BufferWriter, b: Buffer): void {
  w.ensure(1 + 16 + 8 + 4 + b.length);
  w.buf[w.pos] = 16;
  TEXT_POINTER.copy(w.buf, w.pos + 1);
  w.buf.fill(0, w.pos + 17, w.pos + 25);
  w.buf.writeUInt32LE(b.length, w.pos + 25);
  b.copy(w.buf, w.pos + 29);
  w.pos += 29 + b.length;
}

/** A GUID's 16 bytes: the first three groups little-endian, the last two as written ([MS-TDS] 2.2.5.5.1.7). */
export function guidBytes(text: string): Buffer {
  const hex = text.replace(/[{}-]/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new ProtocolError(`not a uniqueidentifier: '${text}'`);
  const b = Buffer.from(hex, 'hex');
  return Buffer.concat([
    b.subarray(0, 4).reverse(),
    b.subarray(4, 6).reverse(),
    b.subarray(6, 8).reverse(),
    b.subarray(8),
  ]);
}

function binaryOf(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  const b = parseBinaryText(toText(v));
  if (b === undefined) throw new ProtocolError(`not a binary value: '${toText(v)}'`);
  return b;
}

function textOf(v: unknown, fixed: number | undefined): string {
  const s = typeof v === 'string' ? v : toText(v);
  return fixed !== undefined && s.length < fixed ? s.padEnd(fixed, ' ') : s;
}

function characterWriter(type: CharacterType, collation?: string): ValueWriter {
  const max = type.length === 'max';
  const fixed = type.name === 'char' || type.name === 'nchar' ? (type.length as number) : undefined;
  const utf8 = (collation ?? collationOf(type) ?? '').toUpperCase().includes('_UTF8');
  const encode = isCodePageText(type)
    ? (v: unknown) => (utf8 ? Buffer.from(textOf(v, fixed), 'utf8') : encodeCp1252(textOf(v, fixed)))
    : (v: unknown) => Buffer.from(textOf(v, fixed), 'utf16le');
  switch (type.name) {
    case 'uniqueidentifier':
      return (w, v) => {
        w.u8(16);
        w.bytes(guidBytes(toText(v)));
      };
    case 'varbinary':
      return max ? (w, v) => plpBytes(w, binaryOf(v)) : (w, v) => shortBytes(w, binaryOf(v));
    case 'text':
    case 'ntext':
      return (w, v) => textBytes(w, encode(v));
    default:
      if (max) return (w, v) => plpBytes(w, encode(v));
      if (type.name === undefined) return nvarcharWriter;
      return (w, v) => shortBytes(w, encode(v));
  }
}

/** NVARCHAR(n), the most common column: written without an intermediate buffer. */
const nvarcharWriter: ValueWriter = (w, v) => {
  const s = typeof v === 'string' ? v : toText(v);
  const n = s.length * 2;
  w.ensure(2 + n);
  w.buf.writeUInt16LE(n, w.pos);
  w.buf.write(s, w.pos + 2, n, 'utf16le');
  w.pos += 2 + n;
};

function intWriter(length: 1 | 2 | 4): ValueWriter {
  return (w, v) => {
    w.ensure(1 + length);
    w.buf[w.pos] = length;
    if (length === 1) w.buf.writeUInt8(toNumber(v), w.pos + 1);
    else if (length === 2) w.buf.writeInt16LE(toNumber(v), w.pos + 1);
    else w.buf.writeInt32LE(toNumber(v), w.pos + 1);
    w.pos += 1 + length;
  };
}

/** MONEY: 8 bytes, the high 32 bits of the value in 1/10000 first, then the low 32; SMALLMONEY: 4 bytes. */
function moneyWriter(length: 4 | 8): ValueWriter {
  return (w, v) => {
    const scaled = scaledOf(v, 4);
    w.ensure(1 + length);
    w.buf[w.pos] = length;
    if (length === 4) w.buf.writeInt32LE(toNumber(scaled), w.pos + 1);
    else {
      w.buf.writeInt32LE(toNumber(BigInt.asIntN(32, scaled >> 32n)), w.pos + 1);
      w.buf.writeUInt32LE(toNumber(BigInt.asUintN(32, scaled)), w.pos + 5);
    }
    w.pos += 1 + length;
  };
}

function decimalWriter(precision: number, scale: number): ValueWriter {
  const length = decimalLength(precision);
  return (w, v) => {
    const scaled = scaledOf(v, scale);
    const negative = scaled < 0n;
    const magnitude = negative ? -scaled : scaled;
    w.ensure(1 + length);
    w.buf[w.pos] = length;
    w.buf[w.pos + 1] = negative ? 0 : 1;
    if (length === 5) w.buf.writeUInt32LE(toNumber(magnitude), w.pos + 2);
    else {
      w.buf.writeBigUInt64LE(magnitude & 0xffffffffffffffffn, w.pos + 2);
      if (length >= 13) w.buf.writeUInt32LE(toNumber((magnitude >> 64n) & 0xffffffffn), w.pos + 10);
      if (length === 17) w.buf.writeUInt32LE(toNumber((magnitude >> 96n) & 0xffffffffn), w.pos + 14);
    }
    w.pos += 1 + length;
  };
}

function timeLength(scale: number): number {
  return scale <= 2 ? 3 : scale <= 4 ? 4 : 5;
}

/** TIME(n): 3-5 bytes of 10^-n second units since midnight. */
function timeWriter(scale: number): ValueWriter {
  const length = timeLength(scale);
  const divisor = 10 ** (7 - scale);
  return (w, v) => {
    const ticks = parseTimeText(toText(v));
    if (ticks === undefined) throw new ProtocolError(`not a time value: '${toText(v)}'`);
    w.ensure(1 + length);
    w.buf[w.pos] = length;
    w.buf.writeUIntLE(round(ticks / divisor), w.pos + 1, length);
    w.pos += 1 + length;
  };
}

/** DATETIMEOFFSET(n): the UTC time and date as DATETIME2(n) does, then the offset in minutes (int16). */
function dateTimeOffsetWriter(scale: number): ValueWriter {
  const timeBytes = timeLength(scale);
  const divisor = 10 ** (7 - scale);
  return (w, v) => {
    const parsed = parseDateTimeOffsetText(toText(v));
    if (parsed === undefined) throw new ProtocolError(`not a datetimeoffset value: '${toText(v)}'`);
    let units = round(parsed.ticks / divisor) - (parsed.offsetMinutes * 600_000_000) / divisor;
    let days = parsed.days;
    const perDay = 864_000_000_000 / divisor;
    while (units < 0) {
      units += perDay;
      days -= 1;
    }
    while (units >= perDay) {
      units -= perDay;
      days += 1;
    }
    w.ensure(1 + timeBytes + 5);
    w.buf[w.pos] = timeBytes + 5;
    w.buf.writeUIntLE(units, w.pos + 1, timeBytes);
    w.buf.writeUIntLE(days + EPOCH_0001_TO_1970, w.pos + 1 + timeBytes, 3);
    w.buf.writeInt16LE(parsed.offsetMinutes, w.pos + 4 + timeBytes);
    w.pos += 1 + timeBytes + 5;
  };
}

function datetime2Writer(scale: number): ValueWriter {
  const length = datetime2Length(scale);
  const divisor = 10 ** (7 - scale);
  return (w, v) => {
    const s = toText(v);
    w.ensure(1 + length);
    w.buf[w.pos] = length;
    w.buf.writeUIntLE(floor(textTicks(s) / divisor), w.pos + 1, length - 3);
    w.buf.writeUIntLE(textDays(s) + EPOCH_0001_TO_1970, w.pos + 1 + length - 3, 3);
    w.pos += 1 + length;
  };
}

/** DATETIME: days since 1900 (int32) and 1/300 s since midnight; SMALLDATETIME: days (u16) and minutes (u16). */
function datetimeWriter(small: boolean): ValueWriter {
  return (w, v) => {
    const s = toText(v);
    let days = textDays(s) + EPOCH_1900_TO_1970;
    const ticks = textTicks(s);
    if (small) {
      let minutes = round(ticks / 600_000_000);
      if (minutes >= 1440) {
        days += 1;
        minutes -= 1440;
      }
      w.ensure(5);
      w.buf[w.pos] = 4;
      w.buf.writeUInt16LE(days, w.pos + 1);
      w.buf.writeUInt16LE(minutes, w.pos + 3);
      w.pos += 5;
      return;
    }
    let ticks300 = round((ticks * 3) / 100_000);
    if (ticks300 >= 25_920_000) {
      days += 1;
      ticks300 -= 25_920_000;
    }
    w.ensure(9);
    w.buf[w.pos] = 8;
    w.buf.writeInt32LE(days, w.pos + 1);
    w.buf.writeUInt32LE(ticks300, w.pos + 5);
    w.pos += 9;
  };
}

function valueWriter(type: SqlType, collation?: string): ValueWriter {
  switch (type.kind) {
    case 'nvarchar':
      return characterWriter(type, collation);
    case 'int':
      return intWriter(type.name === 'tinyint' ? 1 : type.name === 'smallint' ? 2 : 4);
    case 'bigint':
      return (w, v) => {
        w.ensure(9);
        w.buf[w.pos] = 8;
        w.buf.writeBigInt64LE(toBigInt(v), w.pos + 1);
        w.pos += 9;
      };
    case 'float':
      if (type.name === 'real') {
        return (w, v) => {
          w.ensure(5);
          w.buf[w.pos] = 4;
          w.buf.writeFloatLE(toNumber(v), w.pos + 1);
          w.pos += 5;
        };
      }
      return (w, v) => {
        w.ensure(9);
        w.buf[w.pos] = 8;
        w.buf.writeDoubleLE(toNumber(v), w.pos + 1);
        w.pos += 9;
      };
    case 'bit':
      return (w, v) => {
        w.ensure(2);
        w.buf[w.pos] = 1;
        w.buf[w.pos + 1] = v === 0 || v === 0n || v === false ? 0 : 1;
        w.pos += 2;
      };
    case 'decimal':
      if (type.name === 'money' || type.name === 'smallmoney')
        return moneyWriter(type.name === 'money' ? 8 : 4);
      return decimalWriter(type.precision, type.scale);
    case 'date':
      return (w, v) => {
        w.ensure(4);
        w.buf[w.pos] = 3;
        w.buf.writeUIntLE(textDays(toText(v)) + EPOCH_0001_TO_1970, w.pos + 1, 3);
        w.pos += 4;
      };
    case 'datetime2':
      if (type.name === 'time') return timeWriter(type.scale);
      if (type.name === 'datetimeoffset') return dateTimeOffsetWriter(type.scale);
      return datetime2Writer(type.scale);
    case 'datetime':
      return datetimeWriter(type.name === 'smalldatetime');
  }
}

/** A fixed-length type's value: the "N" value without its length byte. */
function fixedWriter(writer: ValueWriter): ValueWriter {
  return (w, v) => {
    const start = w.pos;
    writer(w, v);
    w.buf.copy(w.buf, start, start + 1, w.pos);
    w.pos -= 1;
  };
}

/** The value writer of a result column (fixed-length for NOT NULL columns of types that have one). */
function columnWriter(column: ResultColumn): ValueWriter {
  const writer = valueWriter(column.type, column.collation);
  return !column.nullable && fixedTypeId(column.type) !== undefined ? fixedWriter(writer) : writer;
}

/** The NULL of a type: 0xFFFF for short character/binary values, PLP NULL for MAX, a zero length otherwise. */
function nullWriter(column: ResultColumn): (w: BufferWriter) => void {
  const type = column.type;
  if (!column.nullable && fixedTypeId(type) !== undefined) {
    return () => {
      throw new ProtocolError(
        `column ${column.name} is NOT NULL (${formatSqlType(type)}) but the value is NULL`,
      );
    };
  }
  if (
    type.kind === 'nvarchar' &&
    type.name !== 'uniqueidentifier' &&
    type.name !== 'text' &&
    type.name !== 'ntext'
  ) {
    if (type.length === 'max') return (w) => w.u64(0xffffffffffffffffn);
    return (w) => w.u16(0xffff);
  }
  return (w) => w.u8(0);
}

export type RowEncoder = (w: BufferWriter, row: unknown[]) => void;

/** An encoder of ROW (no NULLs) or NBCROW (a null bitmap, then the non-NULL values) tokens. */
export function rowEncoder(columns: ResultColumn[]): RowEncoder {
  const writers = columns.map(columnWriter);
  const nulls = columns.map(nullWriter);
  // A fixed-length type has no NULL: such a column refuses one in a ROW and in an NBCROW alike.
  const refuseNull = columns.map((c) => !c.nullable && fixedTypeId(c.type) !== undefined);
  const count = columns.length;
  const bitmapBytes = ceil(count / 8);
  return (w, row) => {
    let hasNull = false;
    for (let i = 0; i < count; i++) {
      if (row[i] === null || row[i] === undefined) {
        hasNull = true;
        break;
      }
    }
    if (!hasNull) {
      w.u8(Token.ROW);
      for (let i = 0; i < count; i++) (writers[i] as ValueWriter)(w, row[i]);
      return;
    }
    // NBCROW only pays when it saves bytes; a single-column NULL is cheaper as a ROW.
    if (bitmapBytes >= count) {
      w.u8(Token.ROW);
      for (let i = 0; i < count; i++) {
        const v = row[i];
        if (v === null || v === undefined) (nulls[i] as (w: BufferWriter) => void)(w);
        else (writers[i] as ValueWriter)(w, v);
      }
      return;
    }
    w.u8(Token.NBCROW);
    w.ensure(bitmapBytes);
    const start = w.pos;
    w.buf.fill(0, start, start + bitmapBytes);
    w.pos += bitmapBytes;
    for (let i = 0; i < count; i++) {
      const v = row[i];
      if (v === null || v === undefined) {
        if (refuseNull[i]) (nulls[i] as (w: BufferWriter) => void)(w);
        w.buf[start + (i >> 3)] = (w.buf[start + (i >> 3)] as number) | (1 << (i & 7));
      } else (writers[i] as ValueWriter)(w, v);
    }
  };
}

/* ------------------------------------------------------------ parameters ------------------------------------------------------------ */

export interface DecodedValue {
  type: SqlType;
  value: SqlValue;
}

/** True when a parameter's collation says UTF-8 (else its code page is 1252, as for every collation the emulator knows). */
function readCollationIsUtf8(r: BufferReader): boolean {
  const b = r.bytes(5);
  return ((b[3] as number) & 0x04) !== 0; // fUTF8: flag bit 6, stored in the fourth byte's bit 2
}

function readPlp(r: BufferReader): Buffer | null {
  const total = r.u64();
  if (total === 0xffffffffffffffffn) return null;
  const parts: Buffer[] = [];
  for (;;) {
    const length = r.u32();
    if (length === 0) break;
    parts.push(r.bytes(length));
  }
  return Buffer.concat(parts);
}

function formatGuid(b: Buffer): string {
  const hex = (from: number, to: number, reverse: boolean): string => {
    const slice = [...b.subarray(from, to)];
    if (reverse) slice.reverse();
    return slice.map((x) => x.toString(16).padStart(2, '0')).join('');
  };
  return `${hex(0, 4, true)}-${hex(4, 6, true)}-${hex(6, 8, true)}-${hex(8, 10, false)}-${hex(10, 16, false)}`.toUpperCase();
}

function fromDays1900AndTicks300(days: number, ticks300: number): string {
  return formatDateTime(days - EPOCH_1900_TO_1970, round((ticks300 * 100_000) / 3));
}

/** Reads one parameter's TYPE_INFO and value, as the type the client sent. */
export function readTypedValue(r: BufferReader): DecodedValue {
  const id = r.u8();
  switch (id) {
    case TypeId.NULL:
      return { type: { kind: 'int' }, value: null };
    case TypeId.INT1:
      return { type: { kind: 'int' }, value: r.u8() };
    case TypeId.BIT:
      return { type: { kind: 'bit' }, value: r.u8() !== 0 };
    case TypeId.INT2:
      return { type: { kind: 'int' }, value: r.bytes(2).readInt16LE(0) };
    case TypeId.INT4:
      return { type: { kind: 'int' }, value: r.i32() };
    case TypeId.INT8:
      return { type: { kind: 'bigint' }, value: r.i64() };
    case TypeId.FLT4:
      return { type: { kind: 'float' }, value: r.f32() };
    case TypeId.FLT8:
      return { type: { kind: 'float' }, value: r.f64() };
    case TypeId.DATETIME:
      return { type: { kind: 'datetime' }, value: fromDays1900AndTicks300(r.i32(), r.u32()) };
    case TypeId.DATETIM4: {
      const days = r.u16();
      const minutes = r.u16();
      return {
        type: { kind: 'datetime' },
        value: formatDateTime(days - EPOCH_1900_TO_1970, minutes * 600_000_000),
      };
    }
    case TypeId.MONEY:
    case TypeId.MONEY4:
      return {
        type: { kind: 'decimal', precision: 19, scale: 4 },
        value: readMoney(r, id === TypeId.MONEY ? 8 : 4),
      };
    case TypeId.INTN: {
      const max = r.u8();
      const length = r.u8();
      const type: SqlType = max === 8 ? { kind: 'bigint' } : { kind: 'int' };
      if (length === 0) return { type, value: null };
      const b = r.bytes(length);
      if (length === 1) return { type, value: b.readUInt8(0) };
      if (length === 2) return { type, value: b.readInt16LE(0) };
      if (length === 4) return { type, value: b.readInt32LE(0) };
      if (length === 8) return { type, value: b.readBigInt64LE(0) };
      throw new ProtocolError(`INTN value of length ${length}`);
    }
    case TypeId.BITN: {
      r.u8();
      const length = r.u8();
      return { type: { kind: 'bit' }, value: length === 0 ? null : r.bytes(length)[0] !== 0 };
    }
    case TypeId.FLTN: {
      r.u8();
      const length = r.u8();
      if (length === 0) return { type: { kind: 'float' }, value: null };
      return { type: { kind: 'float' }, value: length === 4 ? r.f32() : r.f64() };
    }
    case TypeId.MONEYN: {
      r.u8();
      const length = r.u8();
      const type: SqlType = { kind: 'decimal', precision: 19, scale: 4 };
      return { type, value: length === 0 ? null : readMoney(r, length) };
    }
    case TypeId.DATETIMN: {
      r.u8();
      const length = r.u8();
      if (length === 0) return { type: { kind: 'datetime' }, value: null };
      if (length === 4) {
        const days = r.u16();
        const minutes = r.u16();
        return {
          type: { kind: 'datetime' },
          value: formatDateTime(days - EPOCH_1900_TO_1970, minutes * 600_000_000),
        };
      }
      return { type: { kind: 'datetime' }, value: fromDays1900AndTicks300(r.i32(), r.u32()) };
    }
    case TypeId.DECIMALN:
    case TypeId.NUMERICN:
    case TypeId.DECIMAL:
    case TypeId.NUMERIC: {
      r.u8();
      const precision = r.u8();
      const scale = r.u8();
      const type: SqlType = { kind: 'decimal', precision: max(1, precision), scale };
      const length = r.u8();
      if (length === 0) return { type, value: null };
      const sign = r.u8();
      const bytes = r.bytes(length - 1);
      let magnitude = 0n;
      for (let i = bytes.length - 1; i >= 0; i--)
        magnitude = (magnitude << 8n) | toBigIntValue(bytes[i] as number);
      return { type, value: decimalTextFromScaled(sign === 1 ? magnitude : -magnitude, scale) };
    }
    case TypeId.DATEN: {
      const length = r.u8();
      if (length === 0) return { type: { kind: 'date' }, value: null };
      return { type: { kind: 'date' }, value: formatDate(r.uintLE(3) - EPOCH_0001_TO_1970) };
    }
    case TypeId.DATETIME2N: {
      const scale = r.u8();
      const type: SqlType = { kind: 'datetime2', scale };
      const length = r.u8();
      if (length === 0) return { type, value: null };
      const time = r.uintLE(length - 3);
      const days = r.uintLE(3);
      return { type, value: formatDateTime(days - EPOCH_0001_TO_1970, time * 10 ** (7 - scale)) };
    }
    case TypeId.TIMEN:
      return readTime(r);
    case TypeId.DATETIMEOFFSETN:
      return readDateTimeOffset(r);
    case TypeId.GUID: {
      r.u8();
      const length = r.u8();
      return {
        type: { kind: 'nvarchar', length: 36 },
        value: length === 0 ? null : formatGuid(r.bytes(length)),
      };
    }
    case TypeId.NVARCHAR:
    case TypeId.NCHAR:
    case TypeId.BIGVARCHR:
    case TypeId.BIGCHAR: {
      const maxLength = r.u16();
      const utf8 = readCollationIsUtf8(r);
      const wide = id === TypeId.NVARCHAR || id === TypeId.NCHAR;
      const decode = (b: Buffer): string =>
        wide ? b.toString('utf16le') : utf8 ? b.toString('utf8') : decodeCp1252(b);
      const type: SqlType =
        maxLength === 0xffff
          ? { kind: 'nvarchar', length: 'max' }
          : { kind: 'nvarchar', length: max(1, min(4000, wide ? maxLength / 2 : maxLength)) };
      if (maxLength === 0xffff) {
        const b = readPlp(r);
        return { type, value: b === null ? null : decode(b) };
      }
      const length = r.u16();
      if (length === 0xffff) return { type, value: null };
      return { type, value: decode(r.bytes(length)) };
    }
    case TypeId.BIGVARBIN:
    case TypeId.BIGBINARY:
      return readBinary(r);
    case TypeId.IMAGE:
      throw notSupported('image parameters (use varbinary(max))');
    case TypeId.TEXT:
    case TypeId.NTEXT:
      throw notSupported('text and ntext parameters (use nvarchar(max))');
    default:
      throw notSupported(`parameters of TDS type 0x${id.toString(16)}`);
  }
}

/** TIME(n) parameter: scale, length, then 3-5 bytes of 10^-n s since midnight. */
function readTime(r: BufferReader): DecodedValue {
  const scale = r.u8();
  const type: SqlType = { kind: 'datetime2', scale, name: 'time' };
  const length = r.u8();
  if (length === 0) return { type, value: null };
  return { type, value: formatTime(r.uintLE(length) * 10 ** (7 - scale)) };
}

/**
 * DATETIMEOFFSET(n) parameter: scale, length, the UTC time (3-5 bytes) and date (3 bytes), then the
 * offset in minutes (int16). The value is the local time with its offset, as SQL Server keeps it.
 */
function readDateTimeOffset(r: BufferReader): DecodedValue {
  const scale = r.u8();
  const type: SqlType = { kind: 'datetime2', scale, name: 'datetimeoffset' };
  const length = r.u8();
  if (length === 0) return { type, value: null };
  const utcTicks = r.uintLE(length - 5) * 10 ** (7 - scale);
  const utcDays = r.uintLE(3) - EPOCH_0001_TO_1970;
  const offsetMinutes = r.bytes(2).readInt16LE(0);
  // Shift within the day and carry whole days (days x ticks would pass 2^53).
  const ticks = utcTicks + offsetMinutes * 600_000_000;
  const carry = floor(ticks / DAY_TICKS);
  return { type, value: formatDateTimeOffset(utcDays + carry, ticks - carry * DAY_TICKS, offsetMinutes) };
}

/** VARBINARY(n|MAX) / BINARY(n) parameter: max length, then u16-prefixed bytes or PLP; value '0x...'. */
function readBinary(r: BufferReader): DecodedValue {
  const maxLength = r.u16();
  const type: SqlType = {
    kind: 'nvarchar',
    name: 'varbinary',
    length: maxLength === 0xffff ? 'max' : max(1, min(8000, maxLength)),
  };
  if (maxLength === 0xffff) {
    const b = readPlp(r);
    return { type, value: b === null ? null : formatBinary(b) };
  }
  const length = r.u16();
  if (length === 0xffff) return { type, value: null };
  return { type, value: formatBinary(r.bytes(length)) };
}

function readMoney(r: BufferReader, length: number): string {
  if (length === 4) return decimalTextFromScaled(toBigIntValue(r.i32()), 4);
  const high = toBigIntValue(r.i32());
  const low = toBigIntValue(r.u32());
  return decimalTextFromScaled((high << 32n) | low, 4);
}
