/**
 * From a request's record (a JSON object, or a CSV row of a Bulk job) to a `PreparedRecord`: the
 * typed values to write, the parents to find by external ID, and the errors that fail only this
 * record. Problems that make Salesforce refuse the whole request (an unknown field, a value that
 * cannot be deserialized) throw `ApiError`.
 */
import { ApiError, jsonParserError, noSuchColumn } from './errors.js';
import type { JsonPath } from './json.js';
import type { FieldDef, ObjectDef, OrgSchema } from './schema.js';
import {
  type Converted,
  fromCsv,
  fromJson,
  parserMessage,
  type RecordError,
  recordError,
  type StoredValue,
} from './values.js';

export interface ParentRef {
  /** The reference field on the child (e.g. AccountId). */
  field: FieldDef;
  /** The parent's unique field used to find it (e.g. Account.ti_external_id__c). */
  by: FieldDef;
  value: StoredValue;
}

export interface PreparedRecord {
  object: ObjectDef;
  values: Map<FieldDef, StoredValue>;
  refs: ParentRef[];
  errors: RecordError[];
  /** The Id named in the record (updates). */
  id: string | undefined;
}

export const readOnlyMessage = (names: string[]): string =>
  `Unable to create/update fields: ${names.join(', ')}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`;

function newPrepared(object: ObjectDef): PreparedRecord {
  return { object, values: new Map(), refs: [], errors: [], id: undefined };
}

function addConverted(
  prepared: PreparedRecord,
  field: FieldDef,
  converted: Converted,
  onParserError: (token: string, raw: string) => never,
): void {
  if (converted.ok) prepared.values.set(field, converted.value);
  else if (converted.parser) onParserError(converted.token, converted.raw);
  else prepared.errors.push(converted.error);
}

/** The parent's field named in a nested reference: must be one of its external ID or unique fields. */
function parentKeyField(parent: ObjectDef, name: string): FieldDef | undefined {
  return parent.fieldsByLower.get(name.toLowerCase());
}

/**
 * A record from a JSON body. `path` is where the record sits in the body and `locate` turns a
 * path into Jackson's " at [line:L, column:C]" suffix (only computed on the error path).
 */
export function prepareJsonRecord(
  schema: OrgSchema,
  object: ObjectDef,
  raw: Record<string, unknown>,
  path: JsonPath,
  locate: (path: JsonPath) => string,
  options: { allowId: boolean } = { allowId: false },
): PreparedRecord {
  const prepared = newPrepared(object);
  const readOnly: string[] = [];
  const byId = new Map<FieldDef, string>();
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'attributes') continue;
    const lower = key.toLowerCase();
    const field = object.fieldsByLower.get(lower);
    if (field) {
      if (field.name === 'Id') {
        if (!options.allowId) {
          readOnly.push('Id');
          continue;
        }
        if (value !== null && typeof value !== 'string') {
          throw jsonParserError(
            `${parserMessage(field, typeOfToken(value), String(value))}${locate([...path, key])}`,
          );
        }
        prepared.id = value ?? undefined;
        continue;
      }
      if (field.system) {
        readOnly.push(field.name);
        continue;
      }
      addConverted(prepared, field, fromJson(field, value), (token, rawText) => {
        throw jsonParserError(`${parserMessage(field, token, rawText)}${locate([...path, key])}`);
      });
      if (field.type === 'reference') byId.set(field, key);
      continue;
    }
    const relationship = object.relationshipsByLower.get(lower);
    if (!relationship) throw noSuchColumn(key, object.name);
    const parentName = relationship.referenceTo as string;
    if (value === null) {
      prepared.values.set(relationship, null);
      continue;
    }
    if (typeof value !== 'object' || Array.isArray(value)) {
      const { token, raw: rawText } = tokenAndRaw(value);
      throw jsonParserError(
        `Cannot deserialize instance of ${parentName} from ${token} value ${rawText} or request may be missing a required field${locate([...path, key])}`,
      );
    }
    const nested = Object.entries(value as Record<string, unknown>).filter(([k]) => k !== 'attributes');
    const parent = relationshipParent(schema, object, relationship, parentName);
    for (const [k] of nested) {
      if (!parentKeyField(parent, k)) throw noSuchColumn(k, parent.name);
    }
    if (nested.length !== 1) {
      prepared.errors.push(
        recordError(
          'INVALID_FIELD',
          nested.length === 0
            ? `No external ID field specified in the foreign key reference in entity: ${parent.name}`
            : `More than 1 field provided in an external foreign key reference in entity: ${parent.name}`,
          [],
        ),
      );
      continue;
    }
    const [nestedKey, nestedValue] = nested[0] as [string, unknown];
    const by = parentKeyField(parent, nestedKey) as FieldDef;
    if (!by.externalId && !by.unique && by.name !== 'Id') {
      prepared.errors.push(
        recordError(
          'INVALID_FIELD',
          `Field ${by.name} is not an External ID or indexed field for ${parent.name}`,
          [],
        ),
      );
      continue;
    }
    const converted = fromJson(by, nestedValue);
    if (!converted.ok && converted.parser) {
      throw jsonParserError(
        `${parserMessage(by, converted.token, converted.raw)}${locate([...path, key, nestedKey])}`,
      );
    }
    prepared.refs.push({
      field: relationship,
      by,
      value: converted.ok ? converted.value : String(nestedValue),
    });
  }
  for (const ref of prepared.refs) {
    if (byId.has(ref.field)) {
      prepared.errors.push(
        recordError(
          'INVALID_FIELD',
          `Cannot specify both an external ID reference ${ref.field.relationshipName} and a salesforce id, ${ref.field.name}`,
          [],
        ),
      );
    }
  }
  if (readOnly.length > 0) {
    prepared.errors.unshift(
      readOnly.length === 1 && readOnly[0] === 'Id'
        ? recordError('INVALID_FIELD_FOR_INSERT_UPDATE', 'cannot specify Id in an insert call', ['Id'])
        : recordError('INVALID_FIELD_FOR_INSERT_UPDATE', readOnlyMessage(readOnly), readOnly),
    );
  }
  return prepared;
}

function relationshipParent(
  schema: OrgSchema,
  object: ObjectDef,
  relationship: FieldDef,
  parentName: string,
): ObjectDef {
  const parent = schema.byLower.get(parentName.toLowerCase());
  if (!parent)
    throw new ApiError(
      500,
      'UNKNOWN_EXCEPTION',
      `${object.name}.${relationship.name}: no object ${parentName}`,
    );
  return parent;
}

function typeOfToken(value: unknown): string {
  return tokenAndRaw(value).token;
}

function tokenAndRaw(value: unknown): { token: string; raw: string } {
  if (Array.isArray(value)) return { token: 'START_ARRAY', raw: '[' };
  if (typeof value === 'string') return { token: 'VALUE_STRING', raw: value };
  if (typeof value === 'number') {
    return { token: Number.isInteger(value) ? 'VALUE_NUMBER_INT' : 'VALUE_NUMBER_FLOAT', raw: String(value) };
  }
  if (typeof value === 'boolean') return { token: value ? 'VALUE_TRUE' : 'VALUE_FALSE', raw: String(value) };
  return { token: 'START_OBJECT', raw: '{' };
}

/** How one CSV column of a Bulk job maps to the object. */
export type CsvColumn =
  | { kind: 'id' }
  | { kind: 'field'; field: FieldDef }
  | { kind: 'ref'; field: FieldDef; by: FieldDef };

/**
 * Maps a CSV header to columns, or returns the job-failing message Salesforce gives
 * ("InvalidBatch : Field name not found : X").
 */
export function csvColumns(schema: OrgSchema, object: ObjectDef, header: string[]): CsvColumn[] | string {
  const columns: CsvColumn[] = [];
  const seen = new Set<string>();
  for (const name of header) {
    const lower = name.trim().toLowerCase();
    if (seen.has(lower)) return `InvalidBatch : Duplicate field name: ${name}`;
    seen.add(lower);
    if (lower === 'id') {
      columns.push({ kind: 'id' });
      continue;
    }
    const dot = lower.indexOf('.');
    if (dot < 0) {
      const field = object.fieldsByLower.get(lower);
      if (!field || field.system) return `InvalidBatch : Field name not found : ${name}`;
      columns.push({ kind: 'field', field });
      continue;
    }
    const relationship = object.relationshipsByLower.get(lower.slice(0, dot));
    const parent = relationship
      ? schema.byLower.get((relationship.referenceTo ?? '').toLowerCase())
      : undefined;
    const by = parent?.fieldsByLower.get(lower.slice(dot + 1));
    if (!relationship || !parent || !by) return `InvalidBatch : Field name not found : ${name}`;
    if (!by.externalId && !by.unique && by.name !== 'Id') {
      return `InvalidBatch : Field ${by.name} is not an External ID or indexed field for ${parent.name}`;
    }
    columns.push({ kind: 'ref', field: relationship, by });
  }
  return columns;
}

/** A CSV row. Empty cells are not set; `#N/A` sets null. */
export function prepareCsvRecord(object: ObjectDef, columns: CsvColumn[], row: string[]): PreparedRecord {
  const prepared = newPrepared(object);
  columns.forEach((column, i) => {
    const cell = row[i] ?? '';
    if (cell === '') return;
    if (column.kind === 'id') {
      prepared.id = cell.trim();
      return;
    }
    if (cell === '#N/A') {
      prepared.values.set(column.field, null);
      return;
    }
    if (column.kind === 'field') {
      addConverted(prepared, column.field, fromCsv(column.field, cell), () => {
        throw new Error('CSV conversion never reports parser errors');
      });
      return;
    }
    const converted = fromCsv(column.by, cell);
    if (converted.ok) prepared.refs.push({ field: column.field, by: column.by, value: converted.value });
    else if (!converted.parser) prepared.errors.push(converted.error);
  });
  return prepared;
}
