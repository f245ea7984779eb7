import type { EntityConfig } from './config/load.js';
import type { FieldMapping } from './config/schema.js';
import { lookupTable } from './lookups/index.js';
import { columnValue, exactNumber, valueText } from './values/convert.js';
import { inSalesforceDateRange, SALESFORCE_MAX_DATE, SALESFORCE_MIN_DATE } from './values/dates.js';
import { joinKeyParts } from './values/keys.js';
import { truncateUtf16, utf16Length } from './values/utf16.js';

/** Why a row cannot be sent: Salesforce-style codes so reports read the same as Salesforce's own. */
export interface Rejection {
  code: string;
  field?: string;
  message: string;
}

export interface ParentRef {
  field: string;
  relationship: string;
  entity: string;
  key: string;
}

export type MappedRow =
  | { ok: true; key: string; payload: Record<string, unknown>; parents: ParentRef[] }
  | { ok: false; key: string; reasons: Rejection[] };

export type SourceRow = Record<string, unknown>;

const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})/;

/** The identity Salesforce keeps for a source row: `<COMPANY>-<key>`. */
export function externalId(company: string, key: string): string {
  return `${company}-${key}`;
}

function keyPart(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  const text = (value instanceof Date ? value.toISOString() : String(value)).trim();
  return text === '' ? undefined : text;
}

/**
 * A row's source key: its key columns (names resolved case-insensitively), trimmed; several are
 * joined with '|' after escaping '\\' and '|' inside them, so keys cannot collide by concatenation.
 * Undefined when a part is empty.
 */
export function sourceKey(row: SourceRow, columns: readonly string[]): string | undefined {
  const parts: string[] = [];
  for (const c of columns) {
    const p = keyPart(columnValue(row, c));
    if (p === undefined) return undefined;
    parts.push(p);
  }
  return joinKeyParts(parts);
}

function columnsOf(from: string | string[]): string[] {
  return Array.isArray(from) ? from : [from];
}

type Converted = { value: unknown } | { reject: Rejection };

/** `maxLength` in UTF-16 code units, as Salesforce counts; truncation never splits a surrogate pair. */
function lengthChecked(field: string, m: FieldMapping, text: string): Converted {
  if (m.maxLength === undefined || utf16Length(text) <= m.maxLength) return { value: text };
  if (m.truncate) return { value: truncateUtf16(text, m.maxLength) };
  return {
    reject: {
      code: 'STRING_TOO_LONG',
      field,
      message: `${field}: data value too large: ${utf16Length(text)} UTF-16 code units, at most ${m.maxLength}`,
    },
  };
}

/** A `lookup` mapping: the source value translated through a table; an unknown value is a rejection. */
function lookedUp(field: string, m: FieldMapping, text: string): Converted {
  if (m.lookup === undefined) return { value: text };
  const table = lookupTable(m.lookup);
  const found = table.get(text);
  if (found !== undefined) return lengthChecked(field, m, found);
  return {
    reject: {
      code: 'INVALID_LOOKUP_VALUE',
      field,
      message: `${field}: "${text}" (from ${String(m.from)}) is not in ${table.name}`,
    },
  };
}

function convert(field: string, m: FieldMapping, input: unknown): Converted {
  if (input === null || input === undefined) return { value: null };
  switch (m.type) {
    case 'string':
    case 'email': {
      const read = valueText(field, input, m.encoding);
      if ('reject' in read) return read;
      let text = read.text;
      if (m.trim) text = text.trim();
      if (m.case === 'upper') text = text.toUpperCase();
      if (m.case === 'lower') text = text.toLowerCase();
      if (text === '') return { value: null };
      if (m.lookup !== undefined) return lookedUp(field, m, text);
      if (m.type === 'email' && !EMAIL.test(text)) {
        return {
          reject: {
            code: 'INVALID_EMAIL_ADDRESS',
            field,
            message: `${field}: invalid email address: ${text}`,
          },
        };
      }
      return lengthChecked(field, m, text);
    }
    case 'number':
    case 'integer':
      return exactNumber(field, input, {
        integer: m.type === 'integer',
        scale: m.scale,
        numberFormat: m.numberFormat,
      });
    case 'boolean': {
      if (typeof input === 'boolean') return { value: input };
      const t = String(input).trim().toLowerCase();
      if (['1', 'true', 's', 'si', 'sí', 'y', 'yes'].includes(t)) return { value: true };
      if (['0', 'false', 'n', 'no'].includes(t)) return { value: false };
      return {
        reject: {
          code: 'INVALID_TYPE_ON_FIELD_IN_RECORD',
          field,
          message: `${field}: not a boolean: ${String(input)}`,
        },
      };
    }
    case 'date':
    case 'datetime': {
      const iso = input instanceof Date ? input.toISOString() : String(input).trim();
      const d = new Date(iso);
      if (!ISO_DATE.test(iso) || Number.isNaN(d.getTime())) {
        return {
          reject: {
            code: 'INVALID_TYPE_ON_FIELD_IN_RECORD',
            field,
            message: `${field}: not a date: ${String(input)}`,
          },
        };
      }
      const value = m.type === 'date' ? iso.slice(0, 10) : d.toISOString();
      if (!inSalesforceDateRange(value)) {
        return {
          reject: {
            code: 'INVALID_DATE_RANGE',
            field,
            message: `${field}: ${value} is outside the dates Salesforce stores (${SALESFORCE_MIN_DATE} to ${SALESFORCE_MAX_DATE})`,
          },
        };
      }
      return { value };
    }
  }
}

/**
 * Maps one source row to a Salesforce payload by the entity's declarative field mapping.
 * References to parents become nested external ID objects (`"Account": {"Ext__c": "CO-key"}`).
 */
export function mapRow(
  row: SourceRow,
  entity: EntityConfig,
  company: string,
  parentExternalIdField: (entity: string) => string,
): MappedRow {
  const key = sourceKey(row, entity.key);
  if (key === undefined) {
    return {
      ok: false,
      key: '',
      reasons: [
        {
          code: 'REQUIRED_FIELD_MISSING',
          field: entity.key.join(','),
          message: `key column(s) ${entity.key.join(', ')} empty`,
        },
      ],
    };
  }
  const payload: Record<string, unknown> = {};
  const parents: ParentRef[] = [];
  const reasons: Rejection[] = [];
  for (const [field, m] of Object.entries(entity.fields)) {
    if (m.ref) {
      const parentKey = m.from === undefined ? undefined : sourceKey(row, columnsOf(m.from));
      if (parentKey === undefined) {
        if (m.required) {
          reasons.push({
            code: 'REQUIRED_FIELD_MISSING',
            field,
            message: `${field}: required reference to ${m.ref.entity} is empty`,
          });
        } else {
          payload[field] = null;
        }
        continue;
      }
      payload[m.ref.relationship] = { [parentExternalIdField(m.ref.entity)]: externalId(company, parentKey) };
      parents.push({ field, relationship: m.ref.relationship, entity: m.ref.entity, key: parentKey });
      continue;
    }
    let input: unknown;
    if (m.const !== undefined) input = m.const;
    else if (m.from !== undefined) {
      const cols = columnsOf(m.from);
      input =
        cols.length === 1
          ? columnValue(row, cols[0] as string)
          : cols
              .map((c) => keyPart(columnValue(row, c)) ?? '')
              .join(' ')
              .trim();
    }
    const converted = convert(field, m, input);
    if ('reject' in converted) {
      reasons.push(converted.reject);
      continue;
    }
    let value = converted.value;
    if (value === null && m.default !== undefined) value = m.default;
    if (value === null && m.required) {
      reasons.push({
        code: 'REQUIRED_FIELD_MISSING',
        field,
        message: `${field}: required value missing (source ${String(m.from)})`,
      });
      continue;
    }
    payload[field] = value;
  }
  if (reasons.length > 0) return { ok: false, key, reasons };
  return { ok: true, key, payload, parents };
}
