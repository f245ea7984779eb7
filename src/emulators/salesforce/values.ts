/**
 * Field values: from JSON (REST) or CSV text (Bulk API 2.0) to the stored, typed form.
 *
 * Salesforce deserializes REST bodies with Jackson, so a value it cannot convert to the field's
 * type fails the whole request with 400 `JSON_PARSER_ERROR` ("Cannot deserialize instance of
 * boolean from VALUE_STRING value abc ..."). Values of the right type that break a field rule
 * fail only their record: `STRING_TOO_LONG`, `NUMBER_OUTSIDE_VALID_RANGE`, `INVALID_EMAIL_ADDRESS`.
 * CSV values that cannot be converted fail their row with `INVALID_TYPE_ON_FIELD_IN_RECORD`.
 */
import type { FieldDef } from './schema.js';

export type StoredValue = string | number | boolean | null;

export interface RecordError {
  statusCode: string;
  message: string;
  fields: string[];
  /** DUPLICATES_DETECTED only: the rule and the matching records. */
  duplicateResult?: Record<string, unknown>;
}

export type Converted =
  | { ok: true; value: StoredValue }
  /** The request body cannot be deserialized: 400 JSON_PARSER_ERROR for the whole request. */
  | { ok: false; parser: true; token: string; raw: string }
  /** The value breaks a field rule: this record fails. */
  | { ok: false; parser: false; error: RecordError };

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/;
const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return d <= days && y >= 1;
}

/** Salesforce stores dates from 1700-01-01 to 4000-12-31 (SOQL reference, "Minimum and Maximum Dates"). */
const MIN_DATE = '1700-01-01';
const MAX_DATE = '4000-12-31';

/** A parsed date or datetime (YYYY-MM-DD…) outside the range Salesforce stores: this record fails. */
function outOfRange(field: FieldDef, stored: string, raw: string): Converted {
  const day = stored.slice(0, 10);
  if (day >= MIN_DATE && day <= MAX_DATE) return { ok: true, value: stored };
  return {
    ok: false,
    parser: false,
    error: recordError(
      'FIELD_INTEGRITY_EXCEPTION',
      `${field.label}: value out of range: ${raw} (dates run from ${MIN_DATE} to ${MAX_DATE})`,
      [field.name],
    ),
  };
}

/** `YYYY-MM-DD` if the text is a real calendar date. */
export function parseDate(text: string): string | undefined {
  const m = DATE.exec(text);
  if (!m) return undefined;
  return validDate(Number(m[1]), Number(m[2]), Number(m[3])) ? text : undefined;
}

/** Salesforce's datetime form, `YYYY-MM-DDThh:mm:ss.SSS+0000` in GMT, if the text is ISO 8601. */
export function parseDatetime(text: string): string | undefined {
  const m = DATETIME.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])];
  const s = Number(m[6] ?? '0');
  const ms = Number((m[7] ?? '0').padEnd(3, '0').slice(0, 3));
  if (!validDate(y, mo, d) || h > 23 || mi > 59 || s > 59) return undefined;
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone && zone !== 'Z') {
    const digits = zone.replace(':', '');
    const zh = Number(digits.slice(1, 3));
    const zm = Number(digits.slice(3, 5));
    if (zh > 14 || zm > 59) return undefined;
    offsetMinutes = (zh * 60 + zm) * (zone.startsWith('-') ? -1 : 1);
  }
  return formatDatetime(Date.UTC(y, mo - 1, d, h, mi, s, ms) - offsetMinutes * 60000);
}

/** Epoch milliseconds as Salesforce prints datetimes. */
export function formatDatetime(ms: number): string {
  const t = new Date(ms);
  return `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}T${pad(t.getUTCHours())}:${pad(
    t.getUTCMinutes(),
  )}:${pad(t.getUTCSeconds())}.${pad(t.getUTCMilliseconds(), 3)}+0000`;
}

function tokenOf(value: unknown): { token: string; raw: string } {
  if (value === null) return { token: 'VALUE_NULL', raw: 'null' };
  if (Array.isArray(value)) return { token: 'START_ARRAY', raw: '[' };
  switch (typeof value) {
    case 'string':
      return { token: 'VALUE_STRING', raw: value };
    case 'number':
      return {
        token: Number.isInteger(value) ? 'VALUE_NUMBER_INT' : 'VALUE_NUMBER_FLOAT',
        raw: String(value),
      };
    case 'boolean':
      return { token: value ? 'VALUE_TRUE' : 'VALUE_FALSE', raw: String(value) };
    default:
      return { token: 'START_OBJECT', raw: '{' };
  }
}

function parserError(value: unknown): Converted {
  return { ok: false, parser: true, ...tokenOf(value) };
}

export function recordError(statusCode: string, message: string, fields: string[] = []): RecordError {
  return { statusCode, message, fields };
}

/** Length, e-mail and numeric range rules, shared by JSON and CSV input. */
function checkRules(field: FieldDef, value: StoredValue): Converted {
  if (typeof value === 'string') {
    if (field.length > 0 && value.length > field.length) {
      const shown = value.length > 255 ? `${value.slice(0, 255)}...` : value;
      return {
        ok: false,
        parser: false,
        error: recordError(
          'STRING_TOO_LONG',
          `${field.label}: data value too large: ${shown} (max length=${field.length})`,
          [field.name],
        ),
      };
    }
    if (field.type === 'email' && value !== '' && !EMAIL.test(value)) {
      return {
        ok: false,
        parser: false,
        error: recordError('INVALID_EMAIL_ADDRESS', `${field.label}: invalid email address: ${value}`, [
          field.name,
        ]),
      };
    }
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      return {
        ok: false,
        parser: false,
        error: recordError(
          'NUMBER_OUTSIDE_VALID_RANGE',
          `${field.label}: value outside of valid range on numeric field: ${value}`,
          [field.name],
        ),
      };
    }
    const factor = 10 ** field.scale;
    const rounded = Math.round(Math.abs(value) * factor) / factor;
    if (rounded >= 10 ** (field.precision - field.scale)) {
      return {
        ok: false,
        parser: false,
        error: recordError(
          'NUMBER_OUTSIDE_VALID_RANGE',
          `${field.label}: value outside of valid range on numeric field: ${value}`,
          [field.name],
        ),
      };
    }
    return { ok: true, value: Math.sign(value) * rounded + 0 };
  }
  return { ok: true, value };
}

/** A JSON value from a REST body, for a writable field of the given type. */
export function fromJson(field: FieldDef, value: unknown): Converted {
  if (value === null) return { ok: true, value: null };
  switch (field.type) {
    case 'string':
    case 'textarea':
    case 'phone':
    case 'email':
    case 'picklist':
    case 'url':
    case 'reference':
    case 'id':
      if (typeof value === 'string') return checkRules(field, value);
      if (typeof value === 'number' || typeof value === 'boolean') return checkRules(field, String(value));
      return parserError(value);
    case 'boolean':
      if (typeof value === 'boolean') return { ok: true, value };
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) {
        return { ok: true, value: value.toLowerCase() === 'true' };
      }
      return parserError(value);
    case 'int':
    case 'double':
    case 'currency':
    case 'percent': {
      if (typeof value === 'number')
        return checkRules(field, field.type === 'int' ? Math.trunc(value) : value);
      if (typeof value === 'string' && /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(value)) {
        return checkRules(field, Number(value));
      }
      return parserError(value);
    }
    case 'date': {
      const date = typeof value === 'string' ? parseDate(value) : undefined;
      return date ? outOfRange(field, date, value as string) : parserError(value);
    }
    case 'datetime': {
      const datetime = typeof value === 'string' ? parseDatetime(value) : undefined;
      return datetime ? outOfRange(field, datetime, value as string) : parserError(value);
    }
  }
}

/** The Jackson message for a value that could not be deserialized. */
export function parserMessage(field: FieldDef, token: string, raw: string): string {
  const type =
    field.type === 'textarea' || field.type === 'phone' || field.type === 'email' ? 'string' : field.type;
  return `Cannot deserialize instance of ${type} from ${token} value ${raw} or request may be missing a required field`;
}

/** A CSV cell from a Bulk API 2.0 upload (never empty: the caller skips empty cells and maps #N/A to null). */
export function fromCsv(field: FieldDef, text: string): Converted {
  const invalid = (): Converted => ({
    ok: false,
    parser: false,
    error: recordError(
      'INVALID_TYPE_ON_FIELD_IN_RECORD',
      `${field.label}: value not of required type: ${text}`,
      [field.name],
    ),
  });
  switch (field.type) {
    case 'boolean': {
      const t = text.trim().toLowerCase();
      if (t === 'true' || t === '1') return { ok: true, value: true };
      if (t === 'false' || t === '0') return { ok: true, value: false };
      return invalid();
    }
    case 'int':
    case 'double':
    case 'currency':
    case 'percent':
      if (!/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(text)) return invalid();
      return checkRules(field, field.type === 'int' ? Math.trunc(Number(text)) : Number(text));
    case 'date': {
      const date = parseDate(text.trim()) ?? parseDatetime(text.trim())?.slice(0, 10);
      return date ? outOfRange(field, date, text) : invalid();
    }
    case 'datetime': {
      const datetime = parseDatetime(text.trim());
      return datetime ? outOfRange(field, datetime, text) : invalid();
    }
    default:
      return checkRules(field, text);
  }
}

/** A stored value compared the way a unique index compares it. */
export function indexKey(field: FieldDef, value: StoredValue): string | undefined {
  if (value === null || value === '') return undefined;
  const text = String(value);
  return field.caseSensitive ? text : text.toLowerCase();
}
