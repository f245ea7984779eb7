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
}

export const DEFAULT_COLLATION = 'Modern_Spanish_CI_AS';

const FAMILIES: Record<string, { name: string; spanish: boolean }> = {
  latin1_general: { name: 'Latin1_General', spanish: false },
  latin1_general_100: { name: 'Latin1_General_100', spanish: false },
  modern_spanish: { name: 'Modern_Spanish', spanish: true },
  modern_spanish_100: { name: 'Modern_Spanish_100', spanish: true },
  sql_latin1_general_cp1: { name: 'SQL_Latin1_General_CP1', spanish: false },
};

const COLLATION_NAME =
  /^(latin1_general(?:_100)?|modern_spanish(?:_100)?|sql_latin1_general_cp1)_(?:(bin2?)|(ci|cs)_(ai|as)((?:_ks)?(?:_ws)?(?:_sc)?(?:_utf8)?))$/i;

export const ACCEPTED_COLLATIONS =
  'Latin1_General, Latin1_General_100, Modern_Spanish, Modern_Spanish_100 or SQL_Latin1_General_CP1, ' +
  'followed by _CI_AS, _CI_AI, _CS_AS, _CS_AI (optionally _KS, _WS, _SC, _UTF8), _BIN or _BIN2';

const cache = new Map<string, Collation>();

/** The collation of a name as written in COLLATE or a column definition; Msg 448 when unknown. */
export function parseCollation(written: string): Collation {
  const key = written.toLowerCase();
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const m = COLLATION_NAME.exec(written);
  const family = m === null ? undefined : FAMILIES[(m[1] ?? '').toLowerCase()];
  if (m === null || family === undefined) {
    throw new SqlServerError(
      448,
      `Invalid collation '${written}'. The sf-sync SQL Server emulator knows ${ACCEPTED_COLLATIONS}.`,
    );
  }
  let collation: Collation;
  if (m[2] !== undefined) {
    collation = {
      name: `${family.name}_${m[2].toUpperCase()}`,
      binary: true,
      caseSensitive: true,
      accentSensitive: true,
      spanish: false,
    };
  } else {
    const cs = (m[3] ?? '').toUpperCase();
    const as = (m[4] ?? '').toUpperCase();
    collation = {
      name: `${family.name}_${cs}_${as}${(m[5] ?? '').toUpperCase()}`,
      binary: false,
      caseSensitive: cs === 'CS',
      accentSensitive: as === 'AS',
      spanish: family.spanish,
    };
  }
  if (cache.size > 100) cache.clear();
  cache.set(key, collation);
  return collation;
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

/** Splits a (trimmed) string into collation units: base character with its accents and case. */
function units(text: string, spanish: boolean): Unit[] {
  const out: Unit[] = [];
  for (const ch of text.normalize('NFC')) {
    const upper = ch !== ch.toLowerCase();
    const expansion = EXPANSIONS[ch];
    if (expansion !== undefined) {
      for (const c of expansion) out.push({ primary: `\u0004${c}\u0002`, accents: '', upper });
      continue;
    }
    const folded = ch.toUpperCase().toLowerCase();
    if (spanish && folded === 'ñ') {
      out.push({ primary: '\u0004n\u0003', accents: '', upper });
      continue;
    }
    let base = '';
    let accents = '';
    for (const c of folded.normalize('NFD')) {
      if (MARK.test(c) && base !== '') accents += c;
      else base += c;
    }
    if (base === '') base = folded;
    for (const c of base) out.push({ primary: `${classOf(c)}${c}\u0002`, accents, upper });
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
