/**
 * The SQL Server column and parameter types the emulator knows, how they are written in T-SQL,
 * and how a value of each is held in JavaScript.
 *
 * Each type has a `kind`, the family the SQL layer reasons with (comparison, conversion, SQLite
 * storage), and, when it is not the family's own type, a `name`: the exact SQL Server type, which
 * decides the TDS encoding and what `formatSqlType` (and so the catalog and describe) says.
 *
 * | kind      | name (exact type)                                         |
 * |-----------|-----------------------------------------------------------|
 * | nvarchar  | (NVARCHAR), varchar, char, nchar, text, ntext, uniqueidentifier, varbinary |
 * | int       | (INT), tinyint, smallint                                  |
 * | float     | (FLOAT), real                                             |
 * | decimal   | (DECIMAL), numeric, money, smallmoney                     |
 * | datetime2 | (DATETIME2), time, datetimeoffset                         |
 * | datetime  | (DATETIME), smalldatetime                                 |
 * | bigint, bit, date | -                                                 |
 *
 * A value in its canonical JavaScript form ("SQL value"):
 * - character types: string (CHAR(n)/NCHAR(n) padded with spaces to n; VARCHAR/CHAR/TEXT hold only
 *   what their code page holds, others became '?' as SQL Server stores them);
 * - TINYINT/SMALLINT/INT, REAL/FLOAT: number (REAL rounded to single precision); BIGINT: bigint; BIT: boolean;
 * - DECIMAL/NUMERIC(p,s), MONEY, SMALLMONEY: a string with exactly s decimals ('-1234.50'), so nothing
 *   goes through a float, up to 38 digits;
 * - DATE: 'YYYY-MM-DD'; DATETIME2, DATETIME, SMALLDATETIME: 'YYYY-MM-DD HH:MM:SS.fffffff' (always 7
 *   digits, rounded to the type's precision: 1/300 s for DATETIME, the minute for SMALLDATETIME);
 * - TIME: 'HH:MM:SS.fffffff'; DATETIMEOFFSET: 'YYYY-MM-DD HH:MM:SS.fffffff +hh:mm' (local time and offset);
 * - UNIQUEIDENTIFIER: 'XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX' (upper case); VARBINARY: '0x' and upper-case hex.
 */
import { parseCollation } from './sql/collation.js';
import { SqlServerError } from './sql/errors.js';

// Module-level aliases of globals used once per row or value: reading a global is costly inside a vm
// context (Jest runs the tests in one); a module binding is not.
const { floor } = Math;
const toNumber = Number;
const toText = String;
const toBigIntValue = BigInt;

/** The collation of character columns that declare none (a Colombian ERP database's default). */
export const DEFAULT_COLLATION = 'Modern_Spanish_CI_AS';

export type CharacterName =
  | 'varchar'
  | 'char'
  | 'nchar'
  | 'text'
  | 'ntext'
  | 'uniqueidentifier'
  | 'varbinary';

export type SqlType =
  | { kind: 'nvarchar'; length: number | 'max'; name?: CharacterName; collation?: string }
  | { kind: 'int'; name?: 'tinyint' | 'smallint' }
  | { kind: 'bigint' }
  | { kind: 'float'; name?: 'real' }
  | { kind: 'bit' }
  | { kind: 'decimal'; precision: number; scale: number; name?: 'numeric' | 'money' | 'smallmoney' }
  | { kind: 'date' }
  | { kind: 'datetime2'; scale: number; name?: 'time' | 'datetimeoffset' }
  | { kind: 'datetime'; name?: 'smalldatetime' };

export type SqlValue = string | number | bigint | boolean | null;

export const ACCEPTED_TYPES =
  'NVARCHAR(n) (n 1-4000), NVARCHAR(MAX), NCHAR(n), VARCHAR(n) (n 1-8000), VARCHAR(MAX), CHAR(n), TEXT, NTEXT ' +
  '(character types may add COLLATE <name>), TINYINT, SMALLINT, INT, BIGINT, REAL, FLOAT, BIT, ' +
  'DECIMAL(p,s) and NUMERIC(p,s) (p 1-38), MONEY, SMALLMONEY, DATE, DATETIME2[(0-7)], DATETIME, SMALLDATETIME, ' +
  'TIME[(0-7)], DATETIMEOFFSET[(0-7)], UNIQUEIDENTIFIER, VARBINARY(n) (n 1-8000), VARBINARY(MAX)';

/** The exact SQL Server type name, lower case ('varchar', 'money', 'nvarchar'). */
export function exactTypeName(type: SqlType): string {
  return 'name' in type && type.name !== undefined ? type.name : type.kind;
}

export function formatSqlType(type: SqlType): string {
  const name = exactTypeName(type).toUpperCase();
  switch (type.kind) {
    case 'nvarchar':
      if (type.name === 'text' || type.name === 'ntext' || type.name === 'uniqueidentifier') return name;
      return `${name}(${type.length === 'max' ? 'MAX' : type.length})`;
    case 'decimal':
      return type.name === 'money' || type.name === 'smallmoney'
        ? name
        : `${name}(${type.precision},${type.scale})`;
    case 'datetime2':
      return type.scale === 7 ? name : `${name}(${type.scale})`;
    default:
      return name;
  }
}

/** The type as a column declaration writes it, with its collation when it is not the default. */
export function formatColumnType(type: SqlType): string {
  const text = formatSqlType(type);
  return type.kind === 'nvarchar' && type.collation !== undefined && type.collation !== DEFAULT_COLLATION
    ? `${text} COLLATE ${type.collation}`
    : text;
}

/** The collation of a character type (undefined for other types and for binary/GUID columns). */
export function collationOf(type: SqlType): string | undefined {
  if (type.kind !== 'nvarchar' || type.name === 'uniqueidentifier' || type.name === 'varbinary')
    return undefined;
  return type.collation ?? DEFAULT_COLLATION;
}

/** True for the character types held in a code page (VARCHAR, CHAR, TEXT), false for Unicode ones. */
export function isCodePageText(type: SqlType): boolean {
  return (
    type.kind === 'nvarchar' && (type.name === 'varchar' || type.name === 'char' || type.name === 'text')
  );
}

/**
 * What SQL Server's catalog (sys.columns, sp_describe_first_result_set) says of a column of a type:
 * `systemTypeName` as describe writes it ('decimal(38,2)', 'nvarchar(max)', 'datetime2(7)'),
 * `maxLength` in bytes (-1 for MAX, 16 for TEXT/NTEXT pointers), `precision`/`scale` as sys.types
 * gives them (0 where they do not apply), `collationName` for character columns (null otherwise).
 */
export interface TypeDescription {
  /** sys.types.system_type_id (167 varchar, 231 nvarchar, 106 decimal, 60 money, 43 datetimeoffset, ...). */
  systemTypeId: number;
  systemTypeName: string;
  maxLength: number;
  precision: number;
  scale: number;
  collationName: string | null;
}

export interface ColumnDescription extends TypeDescription {
  name: string;
  isNullable: boolean;
  /** The exact type as the catalog stores it, e.g. 'VARCHAR(20) COLLATE Latin1_General_CS_AS'. */
  declaration: string;
  type: SqlType;
}

/**
 * The catalog's description of a view's columns (what `sp_describe_first_result_set` and
 * `SELECT TOP 0` report): pass `catalog.get(view).columns` of a company database.
 */
export function describeColumns(
  columns: readonly { name: string; type: SqlType; nullable: boolean }[],
): ColumnDescription[] {
  return columns.map((c) => ({
    name: c.name,
    isNullable: c.nullable,
    declaration: formatColumnType(c.type),
    type: c.type,
    ...describeType(c.type),
  }));
}

const FIXED: Record<string, [maxLength: number, precision: number, scale: number]> = {
  tinyint: [1, 3, 0],
  smallint: [2, 5, 0],
  int: [4, 10, 0],
  bigint: [8, 19, 0],
  real: [4, 24, 0],
  float: [8, 53, 0],
  bit: [1, 1, 0],
  money: [8, 19, 4],
  smallmoney: [4, 10, 4],
  date: [3, 10, 0],
  smalldatetime: [4, 16, 0],
  datetime: [8, 23, 3],
  uniqueidentifier: [16, 0, 0],
  text: [16, 0, 0],
  ntext: [16, 0, 0],
};

const SYSTEM_TYPE_IDS: Record<string, number> = {
  varchar: 167,
  char: 175,
  nvarchar: 231,
  nchar: 239,
  text: 35,
  ntext: 99,
  uniqueidentifier: 36,
  varbinary: 165,
  tinyint: 48,
  smallint: 52,
  int: 56,
  bigint: 127,
  real: 59,
  float: 62,
  bit: 104,
  money: 60,
  smallmoney: 122,
  decimal: 106,
  numeric: 108,
  date: 40,
  smalldatetime: 58,
  datetime: 61,
  datetime2: 42,
  time: 41,
  datetimeoffset: 43,
};

export function describeType(type: SqlType): TypeDescription {
  return { systemTypeId: SYSTEM_TYPE_IDS[exactTypeName(type)] ?? 0, ...describeShape(type) };
}

function describeShape(type: SqlType): Omit<TypeDescription, 'systemTypeId'> {
  const name = exactTypeName(type);
  const collationName = collationOf(type) ?? null;
  const fixed = FIXED[name];
  if (fixed !== undefined) {
    return { systemTypeName: name, maxLength: fixed[0], precision: fixed[1], scale: fixed[2], collationName };
  }
  switch (type.kind) {
    case 'nvarchar': {
      const wide = name === 'nvarchar' || name === 'nchar';
      const n = type.length;
      return {
        systemTypeName: `${name}(${n === 'max' ? 'max' : n})`,
        maxLength: n === 'max' ? -1 : wide ? n * 2 : n,
        precision: 0,
        scale: 0,
        collationName,
      };
    }
    case 'decimal':
      return {
        systemTypeName: `${name}(${type.precision},${type.scale})`,
        maxLength: type.precision <= 9 ? 5 : type.precision <= 19 ? 9 : type.precision <= 28 ? 13 : 17,
        precision: type.precision,
        scale: type.scale,
        collationName,
      };
    case 'datetime2': {
      const s = type.scale;
      const timeBytes = s <= 2 ? 3 : s <= 4 ? 4 : 5;
      const fraction = s > 0 ? s + 1 : 0;
      const [maxLength, precision] =
        name === 'time'
          ? [timeBytes, 8 + fraction]
          : name === 'datetimeoffset'
            ? [timeBytes + 5, 26 + fraction]
            : [timeBytes + 3, 19 + fraction];
      return { systemTypeName: `${name}(${s})`, maxLength, precision, scale: s, collationName };
    }
    default:
      return { systemTypeName: name, maxLength: 0, precision: 0, scale: 0, collationName };
  }
}

const TYPE_PATTERN =
  /^\s*([a-z0-9_]+)\s*(?:\(\s*([a-z0-9]+)\s*(?:,\s*([0-9]+)\s*)?\))?\s*(?:collate\s+([a-z0-9_]+)\s*)?$/i;

/**
 * Parses a type name as T-SQL writes it ('nvarchar(20)', 'DECIMAL(38, 2)', 'varchar(50) COLLATE
 * Modern_Spanish_CI_AS'). Column declarations get the exact type. `lenient` (the types a client
 * declares for a parameter) maps them onto their family's own type instead (varchar is nvarchar,
 * tinyint is int, money is decimal(19,4), ...), as the parameter code expects.
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
  const collation = match[4];
  if (name === 'xml' && options.lenient === true && match[2] === undefined)
    return { kind: 'nvarchar', length: 'max' };
  const exact = parseExact(name, match[2]?.toLowerCase(), match[3], fail);
  if (collation !== undefined) {
    if (exact.kind !== 'nvarchar' || collationOf(exact) === undefined) return fail();
    // The SQL layer's collation (sql/collation.ts): its canonical name, or Msg 448 naming those known.
    exact.collation = parseCollation(collation).name;
  }
  return options.lenient === true ? familyType(exact) : exact;
}

/** The family's own type of an exact type (what parameters and the SQL layer used before exact types). */
export function familyType(type: SqlType): SqlType {
  switch (type.kind) {
    case 'nvarchar':
      if (type.name === 'uniqueidentifier') return { kind: 'nvarchar', length: 36 };
      if (type.length === 'max' || type.length > 4000) return { kind: 'nvarchar', length: 'max' };
      return { kind: 'nvarchar', length: type.length };
    case 'int':
      return { kind: 'int' };
    case 'float':
      return { kind: 'float' };
    case 'decimal':
      return { kind: 'decimal', precision: type.precision, scale: type.scale };
    case 'datetime2':
      return type.name === undefined ? type : { kind: 'datetime2', scale: type.scale };
    case 'datetime':
      return { kind: 'datetime' };
    default:
      return type;
  }
}

interface TypeArgs {
  arg1: string | undefined;
  arg2: string | undefined;
  fail: () => never;
  /** A numeric argument, or the fallback when absent. */
  int(value: string | undefined, fallback: number): number;
  /** The type, when no argument was given. */
  none(type: SqlType): SqlType;
  /** A length from 1 to limit, or MAX when allowed. */
  length(limit: number, allowMax: boolean): number | 'max';
  /** A fractional-seconds scale from 0 to 7 (default 7). */
  scale(): number;
}

function typeArgs(arg1: string | undefined, arg2: string | undefined, fail: () => never): TypeArgs {
  const int = (value: string | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    if (!/^[0-9]+$/.test(value)) return fail();
    return toNumber(value);
  };
  return {
    arg1,
    arg2,
    fail,
    int,
    none: (type) => (arg1 === undefined ? type : fail()),
    length: (limit, allowMax) => {
      if (arg2 !== undefined) return fail();
      if (arg1 === 'max') return allowMax ? 'max' : fail();
      const n = int(arg1, 1);
      return n >= 1 && n <= limit ? n : fail();
    },
    scale: () => {
      const s = int(arg1, 7);
      return s <= 7 && arg2 === undefined ? s : fail();
    },
  };
}

/** The character, GUID and binary types (the 'nvarchar' family), or undefined for another name. */
function parseCharacterType(name: string, a: TypeArgs): SqlType | undefined {
  switch (name) {
    case 'nvarchar':
      return { kind: 'nvarchar', length: a.length(4000, true) };
    case 'nchar':
      return { kind: 'nvarchar', name, length: a.length(4000, false) };
    case 'varchar':
    case 'varbinary':
      return { kind: 'nvarchar', name, length: a.length(8000, true) };
    case 'char':
      return { kind: 'nvarchar', name, length: a.length(8000, false) };
    case 'text':
    case 'ntext':
      return a.none({ kind: 'nvarchar', name, length: 'max' });
    case 'uniqueidentifier':
      return a.none({ kind: 'nvarchar', name, length: 36 });
    default:
      return undefined;
  }
}

function parseOtherType(name: string, a: TypeArgs): SqlType {
  switch (name) {
    case 'int':
    case 'bigint':
    case 'float':
    case 'bit':
    case 'date':
    case 'datetime':
      return a.none({ kind: name } as SqlType);
    case 'tinyint':
    case 'smallint':
      return a.none({ kind: 'int', name });
    case 'real':
      return a.none({ kind: 'float', name });
    case 'money':
      return a.none({ kind: 'decimal', name, precision: 19, scale: 4 });
    case 'smallmoney':
      return a.none({ kind: 'decimal', name, precision: 10, scale: 4 });
    case 'smalldatetime':
      return a.none({ kind: 'datetime', name });
    case 'decimal':
    case 'numeric': {
      const precision = a.int(a.arg1, 18);
      const scale = a.int(a.arg2, 0);
      if (precision < 1 || precision > 38 || scale > precision) return a.fail();
      return name === 'numeric'
        ? { kind: 'decimal', name, precision, scale }
        : { kind: 'decimal', precision, scale };
    }
    case 'datetime2':
      return { kind: 'datetime2', scale: a.scale() };
    case 'time':
    case 'datetimeoffset':
      return { kind: 'datetime2', name, scale: a.scale() };
    default:
      return a.fail();
  }
}

function parseExact(
  name: string,
  arg1: string | undefined,
  arg2: string | undefined,
  fail: () => never,
): SqlType {
  const a = typeArgs(arg1, arg2, fail);
  return parseCharacterType(name, a) ?? parseOtherType(name, a);
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

/** DATETIMEOFFSET text of a wall-clock time (a Date whose UTC fields read it) and its offset in minutes. */
export function dateTimeOffsetFromJsDate(local: Date, offsetMinutes: number): string {
  const ms = local.getTime();
  const days = floor(ms / 86_400_000);
  return formatDateTimeOffset(days, (ms - days * 86_400_000) * 10_000, offsetMinutes);
}

/** The server time zone when none is given: a Colombian ERP's (UTC-5 all year, no DST). */
export const DEFAULT_TIME_ZONE = 'America/Bogota';

/** Checks an IANA time zone name, with an error that says what is accepted. */
export function checkTimeZone(timeZone: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone }).format(0);
  } catch {
    throw new RangeError(
      `unknown time zone '${timeZone}': give an IANA name such as America/Bogota, America/New_York or UTC`,
    );
  }
  return timeZone;
}

/** The offset (ms to add to a UTC instant to read the wall clock) of a time zone at an instant. */
export type ZoneOffset = (epochMs: number) => number;

/**
 * The offsets of a time zone, read from the platform's time zone data (DST included) and remembered
 * per hour by the returned function (offsets change on hour boundaries), so a generator can convert
 * millions of instants cheaply.
 */
export function zoneOffsets(timeZone: string): ZoneOffset {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: checkTimeZone(timeZone),
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const offsetAt = (at: number): number => {
    const parts = format.formatToParts(at);
    const get = (type: string): number => toNumber(parts.find((p) => p.type === type)?.value ?? '0');
    const shown =
      daysFromCivil(get('year'), get('month'), get('day')) * 86_400_000 +
      ((get('hour') * 60 + get('minute')) * 60 + get('second')) * 1000;
    return shown - at;
  };
  // A UTC day whose two ends have one offset has it throughout (no zone changes offset twice a day);
  // a day with a change is looked up hour by hour.
  const byDay = new Map<number, number>();
  const byHour = new Map<number, number>();
  return (epochMs) => {
    const day = floor(epochMs / 86_400_000);
    let offset = byDay.get(day);
    if (offset === undefined) {
      const start = offsetAt(day * 86_400_000);
      offset = start === offsetAt(day * 86_400_000 + 86_399_000) ? start : Number.NaN;
      byDay.set(day, offset);
    }
    if (!Number.isNaN(offset)) return offset;
    const hour = floor(epochMs / 3_600_000);
    let hourly = byHour.get(hour);
    if (hourly === undefined) {
      hourly = offsetAt(hour * 3_600_000);
      byHour.set(hour, hourly);
    }
    return hourly;
  };
}

/** 'YYYY-MM-DD HH:MM:SS.fffffff' of an instant read on a wall clock with an offset, plus extra 100 ns ticks. */
export function formatWallClock(epochMs: number, offset: ZoneOffset, extraTicks = 0): string {
  const local = epochMs + offset(epochMs);
  const days = floor(local / 86_400_000);
  return formatDateTime(days, (local - days * 86_400_000) * 10_000 + extraTicks);
}

/**
 * The wall-clock DATETIME2 text ('YYYY-MM-DD HH:MM:SS.fffffff') of an instant in a time zone: what
 * GETDATE()/SYSDATETIME() return and what an ERP writes into its DATETIME columns.
 */
export function wallClockDateTime(instant: Date, timeZone: string): string {
  return formatWallClock(instant.getTime(), zoneOffsets(timeZone));
}

/** The UTC instant of a wall-clock DATETIME2 text in a time zone (the earlier one in a DST overlap). */
export function instantOfWallClock(text: string, timeZone: string): Date {
  const parsed = parseDateTimeText(text);
  if (parsed === undefined) throw new RangeError(`not a date and time: '${text}'`);
  const asUtc = parsed.days * 86_400_000 + floor(parsed.ticks / 10_000);
  // Two passes of "UTC guess minus the zone's offset at the guess" settle on the instant.
  let guess = asUtc;
  for (let i = 0; i < 2; i++) {
    const shown = parseDateTimeText(wallClockDateTime(new Date(guess), timeZone));
    if (shown === undefined) break;
    guess -= shown.days * 86_400_000 + floor(shown.ticks / 10_000) - asUtc;
  }
  return new Date(guess);
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

/* ---------------------------------------------------------------- code page 1252 ---------------------------------------------------------------- */

/** The characters of code page 1252 at 0x80-0x9F (undefined: no character there). */
const CP1252_HIGH = [
  0x20ac,
  undefined,
  0x201a,
  0x0192,
  0x201e,
  0x2026,
  0x2020,
  0x2021,
  0x02c6,
  0x2030,
  0x0160,
  0x2039,
  0x0152,
  undefined,
  0x017d,
  undefined,
  undefined,
  0x2018,
  0x2019,
  0x201c,
  0x201d,
  0x2022,
  0x2013,
  0x2014,
  0x02dc,
  0x2122,
  0x0161,
  0x203a,
  0x0153,
  undefined,
  0x017e,
  0x0178,
] as const;

const CP1252_BYTE = new Map<number, number>(
  CP1252_HIGH.flatMap((code, i) => (code === undefined ? [] : [[code, 0x80 + i] as [number, number]])),
);

/** The code page 1252 byte of a UTF-16 code unit, or 0x3F ('?') when the code page has no such character. */
function cp1252Byte(code: number): number {
  if (code < 0x80 || (code >= 0xa0 && code <= 0xff)) return code;
  return CP1252_BYTE.get(code) ?? 0x3f;
}

/** Text encoded in code page 1252 as SQL Server stores VARCHAR under a Latin collation ('?' for the rest). */
export function encodeCp1252(text: string): Buffer {
  const out = Buffer.allocUnsafe(text.length);
  for (let i = 0; i < text.length; i++) out[i] = cp1252Byte(text.charCodeAt(i));
  return out;
}

/** Text of code page 1252 bytes (bytes the code page leaves undefined read as U+FFFD, as Windows does not map them). */
export function decodeCp1252(bytes: Buffer): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    const code = b >= 0x80 && b < 0xa0 ? (CP1252_HIGH[b - 0x80] ?? 0xfffd) : b;
    out += String.fromCharCode(code);
  }
  return out;
}

/** Text as a code page 1252 column holds it: characters outside the code page become '?'. */
export function toCodePage1252(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    out += cp1252Byte(code) === 0x3f && code !== 0x3f ? '?' : text.charAt(i);
  }
  return out;
}

/* ---------------------------------------------------------------- other texts ---------------------------------------------------------------- */

const TIME_TEXT = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?$/;

/** Parses 'HH:MM[:SS[.fffffff]]' into 100 ns units since midnight, or undefined. */
export function parseTimeText(text: string): number | undefined {
  const m = TIME_TEXT.exec(text.trim());
  if (!m) return undefined;
  const [hh, mi, ss] = [toNumber(m[1]), toNumber(m[2]), toNumber(m[3] ?? 0)];
  if (hh > 23 || mi > 59 || ss > 59) return undefined;
  return (hh * 3600 + mi * 60 + ss) * 10_000_000 + toNumber((m[4] ?? '').padEnd(7, '0'));
}

/** 'HH:MM:SS.fffffff' of 100 ns units since midnight. */
export function formatTime(ticks: number): string {
  return formatDateTime(0, ticks).slice(11);
}

const OFFSET_TEXT = /^(.*?)\s*(?:([+-])(\d{2}):(\d{2})|Z)$/;

/** Parses 'YYYY-MM-DD HH:MM[:SS[.f]] +hh:mm' (or 'Z') into local days and ticks and the offset in minutes. */
export function parseDateTimeOffsetText(
  text: string,
): { days: number; ticks: number; offsetMinutes: number } | undefined {
  const m = OFFSET_TEXT.exec(text.trim());
  if (!m) return undefined;
  const local = parseDateTimeText(m[1] ?? '');
  if (local === undefined) return undefined;
  const offsetMinutes =
    m[2] === undefined ? 0 : (m[2] === '-' ? -1 : 1) * (toNumber(m[3]) * 60 + toNumber(m[4]));
  if (Math.abs(offsetMinutes) > 14 * 60) return undefined;
  return { ...local, offsetMinutes };
}

/** 'YYYY-MM-DD HH:MM:SS.fffffff +hh:mm' of local days, ticks and an offset in minutes. */
export function formatDateTimeOffset(days: number, ticks: number, offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${formatDateTime(days, ticks)} ${sign}${pad(floor(abs / 60), 2)}:${pad(abs % 60, 2)}`;
}

const GUID_TEXT = /^\{?([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\}?$/i;

/** The canonical (upper-case, braces dropped) text of a GUID, or undefined. */
export function parseGuidText(text: string): string | undefined {
  const m = GUID_TEXT.exec(text.trim());
  return m ? m.slice(1, 6).join('-').toUpperCase() : undefined;
}

/** The bytes of a '0x...' binary text, or undefined. */
export function parseBinaryText(text: string): Buffer | undefined {
  const m = /^0x([0-9a-f]*)$/i.exec(text.trim());
  if (!m || (m[1] ?? '').length % 2 !== 0) return undefined;
  return Buffer.from(m[1] ?? '', 'hex');
}

export function formatBinary(bytes: Buffer): string {
  return `0x${bytes.toString('hex').toUpperCase()}`;
}

/** Ticks rounded to the precision of a DATETIME (1/300 s, as SQL Server rounds: .000/.003/.007). */
export function roundToDateTime(ticks: number): number {
  return Math.round((Math.round((ticks * 3) / 100_000) * 100_000) / 3);
}

/**
 * Ticks rounded to a SMALLDATETIME's minute as SQL Server does: 29.998 s or less down, 29.999 s or
 * more up (the value is a DATETIME first: 29.999 s is 30.000 s there).
 */
export function roundToSmallDateTime(ticks: number): number {
  return Math.round(roundToDateTime(ticks) / 600_000_000) * 600_000_000;
}
