/**
 * SQL Server collations for NVARCHAR data, as sort keys: two strings are equal under a collation
 * exactly when their keys are equal, and sort as their keys sort (code point order, which is what
 * SQLite's BINARY comparison of UTF-8 text gives).
 *
 * What a Windows collation (Latin1_General_*, Modern_Spanish_*, and SQL_Latin1_General_CP1_* for
 * Unicode data) does and the key reproduces:
 * - trailing spaces (U+0020 only) are ignored, as the shorter string is padded (KB316626); leading
 *   spaces, tabs and other whitespace are significant;
 * - three levels: base letters first, then accents (unless _AI), then case (only under _CS), so
 *   'a' < 'Á' < 'b' whatever the accents and case; lower case sorts before upper case;
 * - full Unicode case folding ('Ñ' = 'ñ', 'É' = 'é', 'Σ' = 'ς' = 'σ') and expansions ('ß' = 'ss',
 *   'æ' = 'ae', 'œ' = 'oe'; not 'ä' = 'ae');
 * - punctuation and whitespace sort before digits, digits before letters;
 * - Modern_Spanish: 'ñ' is a letter of its own, after 'n' (so 'ñ' ≠ 'n' even under _AI).
 * _BIN2 compares code points and _BIN the first character then the rest (the same order for text
 * without characters above U+FFFF), trailing spaces still ignored.
 */
import { SqlServerError } from './errors.js';

export interface Collation {
  /** As SQL Server spells it, e.g. 'Modern_Spanish_CI_AS'. */
  name: string;
  binary: boolean;
  caseSensitive: boolean;
  accentSensitive: boolean;
  /** 'ñ' is a letter of its own (Modern_Spanish). */
  spanish: boolean;
  /** The 5 bytes TDS carries (ENVCHANGE 7, COLMETADATA): LCID, flags, version, sort id. */
  wire: Buffer;
}

export const DEFAULT_COLLATION = 'Modern_Spanish_CI_AS';

type Family = { name: string; spanish: boolean; lcid: number; version: number };

/**
 * The version is the collation id's version field, what COLLATIONPROPERTY(name, 'Version') returns:
 * 0 for the SQL Server 2000 collations (no number), 1 for _90, 2 for the SQL Server 2008 ones (_100).
 * LCIDs: 0x0409 en-US (Latin1_General, SQL_Latin1_General), 0x0C0A es-ES modern sort (Modern_Spanish).
 */
const FAMILIES: Record<string, Family> = {
  latin1_general: { name: 'Latin1_General', spanish: false, lcid: 0x0409, version: 0 },
  latin1_general_100: { name: 'Latin1_General_100', spanish: false, lcid: 0x0409, version: 2 },
  modern_spanish: { name: 'Modern_Spanish', spanish: true, lcid: 0x0c0a, version: 0 },
  modern_spanish_100: { name: 'Modern_Spanish_100', spanish: true, lcid: 0x0c0a, version: 2 },
  sql_latin1_general_cp1: { name: 'SQL_Latin1_General_CP1', spanish: false, lcid: 0x0409, version: 0 },
};

/**
 * SQL Server's sort order ids of the SQL_Latin1_General_CP1 collations, the only three there are
 * (SQL_Latin1_General_CP1_BIN, _CS_AI or _CI_AS_KS do not exist: Msg 448). Windows collations send 0.
 */
const SQL_SORT_IDS: Record<string, number> = { CI_AS: 52, CS_AS: 51, CI_AI: 54 };

const COLLATION_NAME =
  /^(?:(latin1_general(?:_100)?|modern_spanish(?:_100)?)_(?:(bin2?)|(ci|cs)_(ai|as)((?:_ks)?(?:_ws)?(?:_sc)?(?:_utf8)?))|(sql_latin1_general_cp1)_(ci_as|cs_as|ci_ai))$/i;

export const ACCEPTED_COLLATIONS =
  'Latin1_General, Latin1_General_100, Modern_Spanish or Modern_Spanish_100 ' +
  'followed by _CI_AS, _CI_AI, _CS_AS, _CS_AI (optionally _KS, _WS, _SC, _UTF8), _BIN or _BIN2; ' +
  'SQL_Latin1_General_CP1_CI_AS, SQL_Latin1_General_CP1_CS_AS, SQL_Latin1_General_CP1_CI_AI';

const cache = new Map<string, Collation>();

/** The collation of a name as written in COLLATE or a column definition; Msg 448 when unknown. */
export function parseCollation(written: string): Collation {
  const key = written.toLowerCase();
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const m = COLLATION_NAME.exec(written);
  const family = m === null ? undefined : FAMILIES[(m[1] ?? m[6] ?? '').toLowerCase()];
  if (m === null || family === undefined) {
    throw new SqlServerError(
      448,
      `Invalid collation '${written}'. The sf-sync SQL Server emulator knows ${ACCEPTED_COLLATIONS}.`,
    );
  }
  const collation =
    m[2] !== undefined
      ? binaryCollation(family, m[2])
      : m[7] !== undefined
        ? sqlCollation(family, m[7])
        : windowsCollation(family, m);
  if (cache.size > 100) cache.clear();
  cache.set(key, collation);
  return collation;
}

/**
 * The one encoder of the 5 TDS collation bytes ([MS-TDS] 2.2.5.1.2 COLLATION), for ENVCHANGE 7 and
 * every COLMETADATA: a little-endian u32 of LCID (20 bits), fIgnoreCase, fIgnoreAccent, fIgnoreKana,
 * fIgnoreWidth, fBinary, fBinary2, fUTF8, a reserved bit, Version (4 bits); then SortId (a SQL
 * collation's sort order, 0 for Windows collations). Modern_Spanish_CI_AS: 0A 0C D0 00 00.
 */
function wire(family: Family, flags: number, sortId: number): Buffer {
  const bytes = Buffer.alloc(5);
  bytes.writeUInt32LE((family.lcid | (flags << 20) | (family.version << 28)) >>> 0, 0);
  bytes.writeUInt8(sortId, 4);
  return bytes;
}

/** Flags of a case/accent-insensitive-or-not collation: kana and width insensitive unless _KS/_WS. */
function sensitivityFlags(cs: string, as: string, rest: string): number {
  return (
    (cs === 'CI' ? 0x01 : 0) |
    (as === 'AI' ? 0x02 : 0) |
    (rest.includes('_KS') ? 0 : 0x04) |
    (rest.includes('_WS') ? 0 : 0x08) |
    (rest.includes('_UTF8') ? 0x40 : 0)
  );
}

function sqlCollation(family: Family, suffix: string): Collation {
  const [cs, as] = suffix.toUpperCase().split('_') as [string, string];
  return {
    name: `${family.name}_${cs}_${as}`,
    binary: false,
    caseSensitive: cs === 'CS',
    accentSensitive: as === 'AS',
    spanish: false,
    wire: wire(family, sensitivityFlags(cs, as, ''), SQL_SORT_IDS[`${cs}_${as}`] ?? 0),
  };
}

function binaryCollation(family: Family, suffix: string): Collation {
  const kind = suffix.toUpperCase();
  return {
    name: `${family.name}_${kind}`,
    binary: true,
    caseSensitive: true,
    accentSensitive: true,
    spanish: false,
    wire: wire(family, kind === 'BIN2' ? 0x20 : 0x10, 0),
  };
}

function windowsCollation(family: Family, m: RegExpExecArray): Collation {
  const cs = (m[3] ?? '').toUpperCase();
  const as = (m[4] ?? '').toUpperCase();
  const rest = (m[5] ?? '').toUpperCase();
  return {
    name: `${family.name}_${cs}_${as}${rest}`,
    binary: false,
    caseSensitive: cs === 'CS',
    accentSensitive: as === 'AS',
    spanish: family.spanish,
    wire: wire(family, sensitivityFlags(cs, as, rest), 0),
  };
}

const EXPANSIONS: Record<string, string> = { ß: 'ss', ẞ: 'ss', æ: 'ae', Æ: 'ae', œ: 'oe', Œ: 'oe' };
const SEPARATOR = '\u0001';
const MARK = /\p{M}/u;
const LETTER = /\p{L}/u;
const DIGIT = /\p{Nd}/u;

/** One character's weights: primary class and base, Spanish sub-weight, accents, case. */
interface Unit {
  primary: string;
  accents: string;
  upper: boolean;
}

function classOf(base: string): string {
  if (LETTER.test(base)) return '\u0004';
  if (DIGIT.test(base)) return '\u0003';
  return '\u0002';
}

/** The units of one character (two for an expansion such as 'ß'), cached: a collation key is built per row. */
const unitCache = [new Map<string, Unit[]>(), new Map<string, Unit[]>()];

function charUnits(ch: string, spanish: boolean): Unit[] {
  const cache = unitCache[spanish ? 1 : 0] as Map<string, Unit[]>;
  let units = cache.get(ch);
  if (units !== undefined) return units;
  units = [];
  const upper = ch !== ch.toLowerCase();
  const expansion = EXPANSIONS[ch];
  const folded = ch.toUpperCase().toLowerCase();
  if (expansion !== undefined) {
    for (const c of expansion) units.push({ primary: `\u0004${c}\u0002`, accents: '', upper });
  } else if (spanish && folded === 'ñ') {
    units.push({ primary: '\u0004n\u0003', accents: '', upper });
  } else {
    let base = '';
    let accents = '';
    for (const c of folded.normalize('NFD')) {
      if (MARK.test(c) && base !== '') accents += c;
      else base += c;
    }
    if (base === '') base = folded;
    for (const c of base) units.push({ primary: `${classOf(c)}${c}\u0002`, accents, upper });
  }
  if (cache.size > 20_000) cache.clear();
  cache.set(ch, units);
  return units;
}

const ASCII = /^[ -~]*$/;

/** Splits a (trimmed) string into collation units: base character with its accents and case. */
function units(text: string, spanish: boolean): Unit[] {
  const out: Unit[] = [];
  for (const ch of ASCII.test(text) ? text : text.normalize('NFC')) {
    for (const u of charUnits(ch, spanish)) out.push(u);
  }
  return out;
}

/** The sort key of a string under a collation (null stays null). */
export function collationKey(value: string, collation: Collation): string {
  const text = value.replace(/ +$/, '');
  if (collation.binary) return text;
  const list = units(text, collation.spanish);
  let key = '';
  for (const u of list) key += u.primary;
  if (collation.accentSensitive) {
    key += SEPARATOR;
    for (const u of list) key += u.accents.slice(0, 2).padEnd(2, '\u0002');
  }
  if (collation.caseSensitive) {
    key += SEPARATOR;
    for (const u of list) key += u.upper ? '\u0003' : '\u0002';
  }
  return key;
}

/**
 * A string folded for LIKE under a collation, character by character (so '_' still matches one
 * character): case folded unless _CS, accents dropped under _AI ('ñ' kept under Modern_Spanish).
 */
export function likeFold(value: string, collation: Collation): string {
  if (collation.binary) return value;
  let out = '';
  for (const ch of value.normalize('NFC')) {
    let c = collation.caseSensitive ? ch : ch.toLowerCase();
    if (!collation.accentSensitive && !(collation.spanish && (c === 'ñ' || c === 'Ñ'))) {
      const base = c.normalize('NFD').replace(/\p{M}/gu, '');
      if (base !== '') c = base;
    }
    out += c;
  }
  return out;
}
