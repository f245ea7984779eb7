/** T-SQL functions the translation calls by name, registered on every SQLite handle. */
import type Database from 'better-sqlite3';
import { storageValue, valueFromStorage } from '../data/storage.js';
import { type Collation, collationKey, likeFold, parseCollation } from '../sql/collation.js';
import { SqlServerError } from '../sql/errors.js';
import { convertExplicit, exactType } from '../sql/values.js';
import { formatDateTime, parseDateTimeOffsetText, type SqlType } from '../sql-type.js';

const likeCache = new Map<string, RegExp>();

/** A T-SQL LIKE pattern as a regular expression: %, _, [set], [^set], [a-z] and an ESCAPE character. */
export function likeToRegExp(pattern: string, escapeChar: string | null): RegExp {
  const key = `${escapeChar ?? ''}\u0000${pattern}`;
  const cached = likeCache.get(key);
  if (cached) return cached;
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (escapeChar !== null && c === escapeChar && i + 1 < pattern.length) {
      source += escapeRegExp(pattern.charAt(++i));
    } else if (c === '%') {
      // Consecutive %s mean one: keeps a pattern such as '%%%%x' from backtracking without end.
      if (!source.endsWith('[\\s\\S]*')) source += '[\\s\\S]*';
    } else if (c === '_') source += '[\\s\\S]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) {
        source += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, close);
      let negate = false;
      if (body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      const set = body.replace(/[\\\]^]/g, (m) => `\\${m}`);
      source += `[${negate ? '^' : ''}${set}]`;
      i = close;
    } else source += escapeRegExp(c);
  }
  const re = new RegExp(`^${source}$`, 'u');
  if (likeCache.size > 500) likeCache.clear();
  likeCache.set(key, re);
  return re;
}

function escapeRegExp(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function text(fn: (s: string) => unknown): (value: unknown) => unknown {
  return (value: unknown) => (value === null || value === undefined ? null : fn(String(value)));
}

const typeCache = new Map<string, SqlType>();

function typeOf(text: string): SqlType {
  let type = typeCache.get(text);
  if (type === undefined) {
    type = exactType(text);
    if (typeCache.size > 200) typeCache.clear();
    typeCache.set(text, type);
  }
  return type;
}

// Module-level aliases of globals used per row: reading a global is costly inside a vm context
// (Jest runs the tests in one); a module binding is not.
const { imul } = Math;
const toText = String;

/** A 32-bit FNV-1a hash of a row's values and a seed: the order of rows an ORDER BY leaves tied. */
export function tieBreak(seed: number, values: unknown[]): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (const v of values) {
    const text = v === null ? '\u0000' : `${typeof v}:${toText(v)}`;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = imul(h, 0x01000193) >>> 0;
    }
    h ^= 0xff;
    h = imul(h, 0x01000193) >>> 0;
  }
  return h;
}

const DECIMAL_KEY_DIGITS = 48;
const DECIMAL_KEY_LIMIT = 10n ** BigInt(DECIMAL_KEY_DIGITS);

/**
 * A DATETIMEOFFSET's UTC instant as fixed-width text ('YYYY-MM-DD HH:MM:SS.fffffff'), so that SQL
 * Server's comparison of DATETIMEOFFSET values (by instant, whatever the offsets) is a text comparison.
 */
export function offsetKey(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const p = parseDateTimeOffsetText(String(value));
  if (p === undefined) return String(value);
  const ticks = p.ticks - p.offsetMinutes * 600_000_000;
  const carry = Math.floor(ticks / DAY_TICKS);
  return formatDateTime(p.days + carry, ticks - carry * DAY_TICKS);
}

const DAY_TICKS = 864_000_000_000;

/**
 * A text that sorts as the number does, for DECIMALs wider than an int64 (stored as the text of
 * their scaled integer): the scaled value at `toScale`, sign first, zero-padded, negatives complemented.
 */
export function decimalKey(value: unknown, fromScale: unknown, toScale: unknown): string | null {
  if (value === null || value === undefined) return null;
  const text = typeof value === 'number' ? Math.trunc(value).toString() : toText(value);
  const scaled = BigInt(text) * 10n ** BigInt(Number(toScale) - Number(fromScale));
  if (scaled < 0n) return `0${(DECIMAL_KEY_LIMIT + scaled).toString().padStart(DECIMAL_KEY_DIGITS, '0')}`;
  return `1${scaled.toString().padStart(DECIMAL_KEY_DIGITS, '0')}`;
}

/** SUBSTRING(text, start, length) as T-SQL counts: 1-based, a start before 1 eats into the length. */
export function substring(text: string, start: number, length: number): string {
  if (length < 0) {
    throw new SqlServerError(537, 'Invalid length parameter passed to the substring function.');
  }
  const from = Math.max(start, 1);
  const to = start + length;
  return to <= from ? '' : text.slice(from - 1, to - 1);
}

/** REPLACE(text, find, with) under a collation: under _CI, 'b' also replaces 'B'. */
export function replaceText(text: string, find: string, replacement: string, collation: Collation): string {
  if (find === '') return text;
  const haystack = likeFold(text, collation);
  const needle = likeFold(find, collation);
  if (haystack.length !== text.length || needle.length !== find.length) {
    return text.split(find).join(replacement);
  }
  let out = '';
  let i = 0;
  for (;;) {
    const j = haystack.indexOf(needle, i);
    if (j < 0) return out + text.slice(i);
    out += text.slice(i, j) + replacement;
    i = j + needle.length;
  }
}

const isNull = (...args: unknown[]): boolean => args.some((a) => a === null || a === undefined);

export function registerFunctions(db: Database.Database): void {
  registerTextFunctions(db);
  db.function(
    'tsql_like',
    { deterministic: true },
    (value: unknown, pattern: unknown, escapeChar: unknown, collationName: unknown) => {
      if (value === null || pattern === null) return null;
      const collation = parseCollation(String(collationName));
      const re = likeToRegExp(
        likeFold(String(pattern), collation),
        escapeChar === null ? null : likeFold(String(escapeChar), collation),
      );
      return re.test(likeFold(String(value), collation)) ? 1 : 0;
    },
  );
  db.function('tsql_ck', { deterministic: true }, (value: unknown, collation: unknown) =>
    isNull(value, collation) ? null : collationKey(String(value), parseCollation(String(collation))),
  );
  for (const [name, sign] of [
    ['tsql_min', -1],
    ['tsql_max', 1],
  ] as const) {
    db.aggregate(name, {
      start: null,
      step: ((best: unknown, value: unknown, collationName: unknown) => {
        if (value === null) return best;
        if (best === null) return value;
        const collation = parseCollation(String(collationName));
        const a = collationKey(String(value), collation);
        const b = collationKey(String(best), collation);
        return (a < b ? -1 : a > b ? 1 : 0) === sign ? value : best;
      }) as (total: unknown, next: unknown) => unknown,
    });
  }
  for (const [name, sign] of [
    ['tsql_decmin', -1],
    ['tsql_decmax', 1],
  ] as const) {
    db.aggregate(name, {
      start: null,
      safeIntegers: true,
      step: ((best: unknown, value: unknown, scale: unknown) => {
        if (value === null) return best;
        if (best === null) return value;
        const a = decimalKey(value, scale, scale) as string;
        const b = decimalKey(best, scale, scale) as string;
        return (a < b ? -1 : a > b ? 1 : 0) === sign ? value : best;
      }) as (total: unknown, next: unknown) => unknown,
    });
  }
  db.function('tsql_deckey', { deterministic: true, safeIntegers: true }, decimalKey);
  db.function('tsql_dtokey', { deterministic: true }, offsetKey);
  db.function('tsql_raise', { deterministic: true }, (number: unknown, message: unknown) => {
    throw new SqlServerError(Number(number), String(message));
  });
  db.function('tsql_tie', { deterministic: true, varargs: true }, (seed: unknown, ...values: unknown[]) =>
    tieBreak(Number(seed), values),
  );
  db.function(
    'tsql_conv',
    { deterministic: true, safeIntegers: true },
    (value: unknown, from: unknown, to: unknown, style: unknown) => {
      if (value === null) return null;
      const fromType = typeOf(String(from));
      const toType = typeOf(String(to));
      const converted = convertExplicit(
        valueFromStorage(value, fromType),
        fromType,
        toType,
        style === null ? undefined : Number(style),
      );
      return storageValue(converted, toType);
    },
  );
}

function registerTextFunctions(db: Database.Database): void {
  const fn = (name: string, impl: (...args: never[]) => unknown): void => {
    db.function(name, { deterministic: true }, impl as (...args: unknown[]) => unknown);
  };
  fn(
    'tsql_upper',
    // Per character, as SQL Server does: 'ß' stays 'ß' (JavaScript would make it 'SS').
    text((s) =>
      s.replace(/./gsu, (c) => {
        const u = c.toUpperCase();
        return u.length === c.length ? u : c;
      }),
    ),
  );
  fn(
    'tsql_lower',
    text((s) => s.toLowerCase()),
  );
  fn(
    'tsql_ltrim',
    text((s) => s.replace(/^ +/, '')),
  );
  fn(
    'tsql_rtrim',
    text((s) => s.replace(/ +$/, '')),
  );
  fn(
    'tsql_trim',
    text((s) => s.replace(/^ +| +$/g, '')),
  );
  fn(
    'tsql_len',
    text((s) => s.replace(/ +$/, '').length),
  );
  fn('tsql_substring', (s: unknown, start: unknown, length: unknown) =>
    isNull(s, start, length) ? null : substring(String(s), Number(start), Number(length)),
  );
  fn('tsql_left', (s: unknown, n: unknown) => (isNull(s, n) ? null : substring(String(s), 1, Number(n))));
  fn('tsql_right', (s: unknown, n: unknown) => {
    if (isNull(s, n)) return null;
    const text = String(s);
    const count = Number(n);
    if (count < 0) {
      throw new SqlServerError(536, 'Invalid length parameter passed to the right function.');
    }
    return count === 0 ? '' : text.slice(-count);
  });
  fn('tsql_replace', (s: unknown, find: unknown, replacement: unknown, collation: unknown) =>
    isNull(s, find, replacement)
      ? null
      : replaceText(String(s), String(find), String(replacement), parseCollation(String(collation))),
  );
}
