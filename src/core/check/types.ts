/**
 * Which values travel safely from a SQL Server column through a mapping `type` into a Salesforce
 * field type. `ok`, a `warning` (works, but check the data) or an `error` (cannot work).
 */
import type { FieldMapping } from '../config/schema.js';
import { formatColumnType, type SourceColumn, type SqlFamily, sqlFamily } from './columns.js';
import { type FieldDescribe, NUMBER_FIELD_TYPES, TEXT_FIELD_TYPES } from './describe.js';

export type Verdict = { level: 'ok' } | { level: 'warning' | 'error'; problem: string; fix: string };

const OK: Verdict = { level: 'ok' };
type MappingType = FieldMapping['type'];

const FAMILY_WORDS: Record<SqlFamily, string> = {
  text: 'a text',
  guid: 'a UNIQUEIDENTIFIER',
  integer: 'an integer',
  decimal: 'a decimal',
  float: 'a floating-point',
  bit: 'a BIT (boolean)',
  date: 'a DATE',
  datetime: 'a DATETIME',
  datetimeoffset: 'a DATETIMEOFFSET',
  time: 'a TIME',
  binary: 'a binary',
  other: 'an unsupported',
};

/** What the mapping accepts from each kind of column without help, and what it only parses. */
const SOURCE_OK: Record<MappingType, SqlFamily[]> = {
  string: ['text', 'guid', 'integer', 'decimal'],
  email: ['text'],
  number: ['integer', 'decimal', 'float'],
  integer: ['integer'],
  boolean: ['bit'],
  date: ['date'],
  datetime: ['datetime', 'datetimeoffset'],
};
const SOURCE_PARSED: Record<MappingType, SqlFamily[]> = {
  string: ['float'],
  email: [],
  number: ['text'],
  integer: ['text', 'decimal', 'float'],
  boolean: ['integer', 'text'],
  date: ['text'],
  datetime: ['text', 'date'],
};

/** A source column into a mapping type. */
export function sourceIntoMapping(column: SourceColumn, type: MappingType): Verdict {
  const family = sqlFamily(column.type);
  const what = `${FAMILY_WORDS[family]} column (${column.name} ${formatColumnType(column)})`;
  if (SOURCE_OK[type].includes(family)) return OK;
  if (type === 'integer' && family === 'decimal' && column.scale === 0) return OK;
  if (SOURCE_PARSED[type].includes(family)) {
    const rounding = type === 'integer' && family !== 'text';
    return {
      level: 'warning',
      problem: `${what} mapped as ${type}: ${rounding ? 'decimals are rounded away' : 'each value is parsed, and rows that do not parse are rejected'}`,
      fix: `check the data, or convert the column in the view (CAST/CONVERT) to the type the field needs`,
    };
  }
  if (family === 'datetime' && type === 'date') {
    return {
      level: 'error',
      problem: `${what} into a date: the time of day is dropped, and the date depends on the time zone`,
      fix: 'map it to a Date/Time field with "type": "datetime", or CAST it AS DATE in the view',
    };
  }
  return {
    level: 'error',
    problem: `${what} cannot be mapped as ${type}`,
    fix: `use a mapping type that fits the column (${suggestType(family)}), or convert it in the view`,
  };
}

function suggestType(family: SqlFamily): string {
  const fits = (Object.keys(SOURCE_OK) as MappingType[]).filter((t) => SOURCE_OK[t].includes(family));
  return fits.length > 0 ? `"type": ${fits.map((t) => `"${t}"`).join(' or ')}` : 'none: convert it to text';
}

const FIELD_ACCEPTS: Record<MappingType, (f: FieldDescribe) => boolean> = {
  string: (f) => TEXT_FIELD_TYPES.has(f.type) || f.type === 'reference',
  email: (f) => TEXT_FIELD_TYPES.has(f.type),
  number: (f) => NUMBER_FIELD_TYPES.has(f.type),
  integer: (f) => NUMBER_FIELD_TYPES.has(f.type),
  boolean: (f) => f.type === 'boolean',
  date: (f) => f.type === 'date',
  datetime: (f) => f.type === 'datetime',
};

const MAPPING_WORDS: Record<MappingType, string> = {
  string: 'text',
  email: 'text (email)',
  number: 'a number',
  integer: 'an integer',
  boolean: 'a boolean',
  date: 'a date',
  datetime: 'a date/time',
};

/** What the mapping type sends, into the Salesforce field's type. */
export function mappingIntoField(mapping: FieldMapping, field: FieldDescribe): Verdict {
  if (!FIELD_ACCEPTS[mapping.type](field)) {
    return {
      level: 'error',
      problem: `${MAPPING_WORDS[mapping.type]} into ${field.name}, a ${field.type} field`,
      fix: `map it with the type the field takes (${fieldWants(field)}), or choose another field`,
    };
  }
  if (field.type === 'int' && mapping.type === 'number' && mapping.scale !== 0) {
    return {
      level: 'error',
      problem: `a number with decimals into ${field.name}, an int field`,
      fix: 'use "type": "integer" (or "scale": 0)',
    };
  }
  return OK;
}

function fieldWants(field: FieldDescribe): string {
  const types = (Object.keys(FIELD_ACCEPTS) as MappingType[]).filter((t) => FIELD_ACCEPTS[t](field));
  return types.length > 0 ? types.map((t) => `"type": "${t}"`).join(' or ') : 'none: sf-sync cannot write it';
}
